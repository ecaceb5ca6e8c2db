"""The README's configuration reference is the one meetingd prints (`meetingd --keys`).

The key table in conf.c drives parsing, validation and `--keys`; this test keeps the README
from drifting away from it.
"""
import os
import subprocess
import sys
import unittest

TOP = os.environ.get("MEETINGD_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MEETINGD = os.environ.get("MEETINGD_BIN", os.path.join(TOP, "build", "meetingd"))


class ReadmeKeys(unittest.TestCase):
    def test_key_reference_matches_meetingd_keys(self):
        keys = subprocess.run([MEETINGD, "--keys"], capture_output=True, text=True,
                              check=True).stdout.strip()
        with open(os.path.join(TOP, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        begin, end = "<!-- keys:begin -->\n", "\n<!-- keys:end -->"
        self.assertIn(begin, readme)
        documented = readme[readme.index(begin) + len(begin):readme.index(end)].strip()
        self.assertEqual(documented, keys,
                         "README's key reference differs from `meetingd --keys`; paste the "
                         "new output between the keys markers")

    def test_quick_start_names_both_commands(self):
        with open(os.path.join(TOP, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        quick = readme[readme.index("## Quick start"):readme.index("## How it works")]
        self.assertIn("scripts/demo", quick)
        self.assertIn("scripts/test", quick)


if __name__ == "__main__":
    unittest.main(verbosity=2)
