/**
 * For tests that use a real part from a Debian package: they run, never skip. When the part is
 * missing the test fails with what to install (`deno task test` installs it: tests/_prerequisites.ts).
 *
 * @module
 */

/** Fails the calling test unless `present`, naming the Debian package that provides what it needs. */
export function requireInstalled(present: boolean, pkg: string, what = pkg): void {
  if (present) return;
  throw new Error(
    `This test needs ${what} from the Debian package ${pkg}, which is not installed: run the tests with ` +
      `deno task test (it installs the packages the tests need), or apt-get install ${pkg}`,
  );
}
