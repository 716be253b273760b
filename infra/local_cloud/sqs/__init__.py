"""SQS on moto: what the local cloud adds (the dead-letter redrive's message move tasks)."""
