"""Errors a user can cause. The CLI prints their message and exits 2, without a traceback."""


class XmarginError(Exception):
    """Base of every error that reports a user's mistake rather than a bug."""


class ConfigError(XmarginError):
    """A chain, scenario or CLI value that cannot be used."""


class UnknownChainError(ConfigError):
    """A chain name that is not configured."""


class WrongChainIdError(XmarginError):
    """A transaction signed for another chain (or for no chain at all)."""


class CompileError(XmarginError):
    """A contract source that does not compile."""


class ChainStateError(XmarginError):
    """A request the chain cannot honour in its current state (a timestamp in the past, an unknown snapshot)."""


class TransactionRejected(XmarginError):
    """A transaction the chain refuses at submission (geth's wording leads: "nonce too low: ...")."""
