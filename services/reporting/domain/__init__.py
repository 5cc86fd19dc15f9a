"""Pure report computations: events in, tables out; no I/O, and every time is an argument."""
