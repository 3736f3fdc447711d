"""Create a batch, wait for it to end, stream its results, then delete it."""

from __future__ import annotations

import asyncio

from anthropic_batches import AsyncClient, ErroredResult, SucceededResult

QUESTIONS = {
    "capital-fr": "What is the capital of France?",
    "capital-jp": "What is the capital of Japan?",
    "capital-br": "What is the capital of Brazil?",
}


async def main() -> None:
    # The key comes from ANTHROPIC_API_KEY; ANTHROPIC_BASE_URL, when set, points elsewhere.
    async with AsyncClient() as client:
        batches = client.messages.batches

        batch = await batches.create(
            {
                "custom_id": custom_id,
                "params": {
                    "model": "claude-opus-5",
                    "max_tokens": 256,
                    "messages": [{"role": "user", "content": question}],
                },
            }
            for custom_id, question in QUESTIONS.items()
        )
        print(f"created {batch.id}: {batch.processing_status}")

        batch = await batches.wait(batch)
        counts = batch.request_counts
        print(f"ended: {counts.succeeded} succeeded, {counts.errored} errored")

        # Results come in no particular order: match them to requests by custom_id.
        async with batches.results(batch) as results:
            async for item in results:
                match item.result:
                    case SucceededResult(message=message):
                        print(f"{item.custom_id}: {message.text}")
                    case ErroredResult(error=error):
                        print(f"{item.custom_id}: failed, {error.error.type}")
                    case other:
                        print(f"{item.custom_id}: {other.type}")

        deleted = await batches.delete(batch.id)
        print(f"deleted {deleted.id}")


if __name__ == "__main__":
    asyncio.run(main())
