/**
 * An S3 endpoint on 127.0.0.1 for tests and benchmarks: s3rver (npm), run inside this process on a free
 * port, with one bucket. It is a test double, not a product dependency: it checks neither signatures nor
 * conditional writes, which the remote cache does not rely on (remote_cache.ts).
 *
 * @module
 */
import S3rver from "s3rver";
import { S3Client } from "@bradenmacdonald/s3-lite-client";

export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** The AWS_* variables a CLI process needs to reach it. */
  env: Record<string, string>;
  /** A client on the bucket, to look at or damage what the remote holds. */
  client: S3Client;
  stop(): Promise<void>;
}

export async function startS3(bucket = "cache"): Promise<TestS3> {
  const directory = await Deno.makeTempDir({ prefix: "s3rver-" });
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    directory,
    silent: true,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run() as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_ENDPOINT_URL: endpoint },
    client: new S3Client({
      endPoint: endpoint,
      region: "us-east-1",
      bucket,
      pathStyle: true,
      accessKey: "S3RVER",
      secretKey: "S3RVER",
    }),
    async stop() {
      await server.close();
      await Deno.remove(directory, { recursive: true }).catch(() => {});
    },
  };
}
