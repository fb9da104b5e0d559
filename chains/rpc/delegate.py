"""Running a JSON-RPC method through web3's eth-tester provider stack.

The chain's provider already maps JSON-RPC method names to eth-tester calls
(``api_endpoints``, with this chain's id), and web3's eth-tester middleware converts
JSON-RPC parameters to eth-tester's and renames result keys. Together they are the
``provider.make_request`` path minus its error handling, which would turn every
failure into a message and lose the exception this package maps to error codes.
"""

from __future__ import annotations

from typing import Any

from web3.providers.eth_tester.middleware import request_formatters, result_formatters

from chains.chain import Chain


def delegate(chain: Chain, method: str, params: list[Any]) -> Any:
    namespace, _, name = method.partition("_")
    endpoint = chain.w3.provider.api_endpoints[namespace][name]
    format_request = request_formatters.get(method)
    result = endpoint(chain.tester, format_request(params) if format_request else params)
    format_result = result_formatters.get(method)
    return format_result(result) if format_result else result
