"""Human handoff: the queue, the state machine, the agent console and its API."""
