"""Pure batch semantics: schedules, index sets, backoff, status. No I/O, no UI, no client."""
