"""Join results back to the inputs: by `custom_id`, and in input order.

Results come back in no particular order, so `custom_id` is the only key. This example
keeps a table of products, asks for one description per product, and writes each answer
next to its product, marking those with no usable answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

from anthropic_batches import (
    AsyncClient,
    ErroredResult,
    Missing,
    SucceededResult,
    results_by_custom_id,
    results_in_input_order,
)

PRODUCTS = [
    {"sku": "A-100", "name": "trail running shoes"},
    {"sku": "B-200", "name": "insulated water bottle"},
    {"sku": "C-300", "name": "ultralight tent"},
]


def request_for(product: dict[str, str]) -> dict[str, Any]:
    return {
        # custom_id: 1 to 64 characters of letters, digits, '_' and '-'.
        "custom_id": f"describe-{product['sku']}",
        "params": {
            "model": "claude-opus-5",
            "max_tokens": 200,
            "messages": [
                {"role": "user", "content": f"One sentence describing: {product['name']}"}
            ],
        },
    }


async def main() -> None:
    requests = [request_for(p) for p in PRODUCTS]
    async with AsyncClient() as client:
        batch = await client.messages.batches.wait(await client.messages.batches.create(requests))
        async with client.messages.batches.results(batch) as stream:
            results = [item async for item in stream]

    # A mapping, for lookups by custom_id.
    by_id = results_by_custom_id(results)
    print(f"{len(by_id)} results for {len(requests)} requests")

    # One entry per input, in input order; Missing where an input has no result.
    for product, result in zip(PRODUCTS, results_in_input_order(requests, results), strict=True):
        if isinstance(result, Missing):
            print(f"{product['sku']}: no result")
        elif isinstance(result.result, SucceededResult):
            print(f"{product['sku']}: {result.result.message.text}")
        elif isinstance(result.result, ErroredResult):
            print(f"{product['sku']}: error {result.result.error.error.type}")
        else:
            print(f"{product['sku']}: {result.result.type}")


if __name__ == "__main__":
    asyncio.run(main())
