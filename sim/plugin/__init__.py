"""The pytest plugin's machinery (the hooks and fixtures are in :mod:`sim.pytest_plugin`).

``Template`` builds a world once and freezes it; ``Template.fresh(dir)`` hands out an
``XmarginTestbed`` over the reverted chains with a brand-new off-chain side. The
controls of a testbed (relay, time, faults) are on ``XmarginTestbed``; route faults
act through ``RouteFaults``.
"""

from sim.plugin.faults import FaultError, RouteFaults
from sim.plugin.template import USERS, Template, user_accounts
from sim.plugin.testbed import TestbedError, XmarginTestbed

__all__ = ["USERS", "FaultError", "RouteFaults", "Template", "TestbedError", "XmarginTestbed", "user_accounts"]
