"""The built-in sandbox deployment: LISA on loopback (moto + a LiteLLM registry + a simulator), no AWS account.

Plain Python (never Qt). Start one with `engine.sandbox.server.Sandbox().start()` or as a context manager.
Importing this package is cheap: moto is imported only by the modules that need it (server, seed, simulator);
what a client needs to reach a running sandbox is in `engine.sandbox.constants`.
"""
