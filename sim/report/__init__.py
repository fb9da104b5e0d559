"""Reports people read: ``report.html`` with tables (units, never raw fixed-point) and PNG plots.

A run directory's report is built when the run ends; a sweep directory's when the
sweep ends; :func:`rebuild_report` rebuilds either from the files (``xmargin report``)
and names what is missing in a damaged directory.
"""

import lazy_loader

# Names load on first use (lazy_loader), so a command that needs little (`xmargin --help`,
# `trace`, `compare`) does not import py-evm, web3 and matplotlib.
__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "rebuild": ["rebuild_report"],
        "run_report": ["DamagedDirectory", "write_run_report"],
    },
)
