"""The decision record under a running daemon: a state directory removed while meetingd runs
is reported at error level at the next poll (before, nothing was said and every record was
lost at the restart), and recording goes on in a new file once the directory is back."""

import os
import shutil

import e2e


class RecordDurability(e2e.TestCase):

    def test_state_dir_removed(self):
        w = self.world(users=["organizer0", "attendee0"])
        conf = w.write_config({"attendee0": "accept-all"})
        first = w.create_meeting(conf, "Before", required=["attendee0"])
        d = w.start_daemon(conf)
        e2e.wait_for(lambda: w.answers(first), 30, "the first answer")
        e2e.wait_for(lambda: len(w.decisions()) == 1, 10, "the first record")
        shutil.rmtree(w.state_dir)
        d.wait_log(r"error: .*decisions\.jsonl: the decision record was removed while meetingd "
                   r"ran; decisions cannot be recorded", timeout=30)
        # The directory is back: the next decision is recorded in a new file.
        os.mkdir(w.state_dir, 0o700)
        second = w.create_meeting(conf, "After", required=["attendee0"])
        e2e.wait_for(lambda: w.answers(second), 30, "the second answer")
        e2e.wait_for(lambda: [r["subject"] for r in w.decisions()] == ["After"], 10,
                     "the second record, in a new file")


if __name__ == "__main__":
    e2e.main()
