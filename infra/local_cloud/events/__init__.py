"""Event delivery: EventBridge rules and SNS subscriptions deliver to SQS only as the queue's policy allows,
EventBridge ``rate()`` schedules fire, and Lambda's event source mappings (SQS queues, DynamoDB streams) are
polled asynchronously with the function's role, as on AWS."""
