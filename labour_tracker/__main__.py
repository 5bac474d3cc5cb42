"""`labour-tracker`: the Faust command line of this app (`worker`, and the project's own commands)."""

from __future__ import annotations

import mode.loop


def main() -> None:
    from labour_tracker.settings import load_settings

    load_settings()  # a bad variable stops here with one clear line, before Faust starts
    mode.loop.use("uvloop")  # before any event loop exists
    import labour_tracker.commands  # noqa: F401  (registers the project's own commands)
    from labour_tracker.app import app

    app.main()


if __name__ == "__main__":
    main()
