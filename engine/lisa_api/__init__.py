"""LISA's own REST API as a client: changes run by LISA's state machines (team mode)."""
