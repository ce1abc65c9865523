"""The agent protocol, what both ends of the wire agree on: the engine (broker, deployment, commands) and the host
agent import it, and it imports nothing else of ``engine_api``.

- ``client``: one call to an agent and the error it answers with (the engine's broker; agents during migration)
- ``tls``: where a host keeps its agent's and its hypervisor's certificates, and how they are requested
- ``hooks``: the hook points an agent runs scripts at, and what a deployed script may be named and weigh
- ``addresses``: how a reported address prefix reads as a netmask
"""
