"""Where the test harnesses of ewssim and graphsim find Microsoft's schema kits, and how a
test without its kit is skipped. The kits are read from ../shared beside the repository
(never copied into it); ctest names their folders in environment variables."""

import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def kit_dir(env_var, name):
    """$ENV_VAR when set (ctest sets it), else ../shared/NAME from the repository's root."""
    return os.environ.get(env_var) or os.path.normpath(
        os.path.join(REPO_ROOT, "..", "shared", name))


def skip_unless_file(path, reason):
    """Exit 77 (ctest: skipped), printing REASON, unless PATH is a file."""
    if not os.path.isfile(path):
        print("SKIP: " + reason)
        sys.exit(77)
