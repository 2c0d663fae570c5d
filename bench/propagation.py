"""Our cold build through EC2's eventual consistency (issue 11): the same build with every new id invisible for D
seconds (the emulator's propagation delay) against one on a strongly consistent emulator.

What the delay adds is the run's waits for its own new ids to propagate: retries that start within a quarter of a
second and grow, no fixed sleeps. The target is that it stays under 10 × D.
"""

from bench.playbooks import run_phase, subjects

# Networks of their own, apart from the cold repeats' (indexes 0-8) and the many-networks fleet's.
CONSISTENT_INDEX = 20
DELAYED_INDEX = 21
ADDED_TARGET_FACTOR = 10


def measure(emulator, args, workdir):
    """Build one network at delay 0, then another at ``args.propagation_delay`` seconds; their wall times and what
    the delay added."""
    delay, timeout = args.propagation_delay, args.playbook_timeout
    ours = {index: _ours(args.azs, args.wait_timeout, index) for index in (CONSISTENT_INDEX, DELAYED_INDEX)}
    consistent = run_phase(emulator, ours[CONSISTENT_INDEX], "cold-consistent", workdir, timeout)
    emulator.set_propagation_delay(delay)
    try:
        delayed = run_phase(emulator, ours[DELAYED_INDEX], f"cold-delay-{delay:g}", workdir, timeout)
    finally:
        emulator.set_propagation_delay(0)
    added = delayed["wall_seconds"] - consistent["wall_seconds"]
    return {
        "delay_seconds": delay,
        "consistent": consistent,
        "delayed": delayed,
        "added_seconds": round(added, 3),
        "added_per_delay": round(added / delay, 2),
    }


def _ours(azs, wait_timeout, index):
    return next(subject for subject in subjects(azs, wait_timeout, index) if subject.key == "ours")
