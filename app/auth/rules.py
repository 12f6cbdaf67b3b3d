"""Account rules without Flask: how long an account waits after wrong passwords."""

# Past this many doublings every cap anyone would set is reached; the power stays small.
_MAX_DOUBLINGS = 20


def login_wait_seconds(failures, *, free, first, cap):
    """Seconds an account waits after `failures` wrong passwords (or activation codes) in a row:
    none while fewer than `free`, then `first`, doubling with each further failure, at most `cap`."""
    if free < 1 or failures < free:
        return 0
    return min(cap, first * 2 ** min(failures - free, _MAX_DOUBLINGS))


def wait_in_minutes(seconds):
    """A wait as people are told it: whole minutes, rounded up, at least one."""
    return max(1, -(-int(seconds) // 60))
