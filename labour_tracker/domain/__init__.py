"""Labour tracking and subscriptions: pure rules, no I/O, time passed in."""
