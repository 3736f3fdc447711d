"""The quickstart with the synchronous `Client`: same calls, no `await`."""

from __future__ import annotations

from anthropic_batches import Client, SucceededResult

QUESTIONS = {
    "capital-fr": "What is the capital of France?",
    "capital-jp": "What is the capital of Japan?",
    "capital-br": "What is the capital of Brazil?",
}


def main() -> None:
    with Client() as client:
        batches = client.messages.batches

        batch = batches.create(
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

        batch = batches.wait(batch)
        print(f"ended: {batch.request_counts.succeeded} succeeded")

        with batches.results(batch) as results:
            for item in results:
                if isinstance(item.result, SucceededResult):
                    print(f"{item.custom_id}: {item.result.message.text}")
                else:
                    print(f"{item.custom_id}: {item.result.type}")

        batches.delete(batch.id)
        print(f"deleted {batch.id}")


if __name__ == "__main__":
    main()
