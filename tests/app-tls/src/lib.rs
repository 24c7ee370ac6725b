//! Nothing but the application's dependencies: the test in `tests/` is the application.
