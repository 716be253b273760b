"""A state machine's execution logs (its ``loggingConfiguration``), written as Step Functions writes them. moto
5.2.5 has the logging session (level filter, ``includeExecutionData``) but never uses it, in two places:

- ``StepFunctionsParserBackend.start_execution`` gives every execution ``cloud_watch_logging_session=None``: the
  seam ``Execution.__init__`` gives an execution without one the session its state machine's logging
  configuration describes (none when logging is OFF);
- ``CloudWatchLoggingSession.publish_history_log`` builds its log event without the ``timestamp`` and ``message``
  the logs backend needs, and fails: the seam writes the same event as one JSON line (``id``, ``type``,
  ``details``, ``previous_event_id``, ``event_timestamp``, ``execution_arn``) at the event's time, to the
  execution's stream of the configured log group (created on its first line).
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from local_cloud.seams import Installation, replace, require_signature, require_source

_STREAMS_LOCK = threading.Lock()
EXECUTION_PARAMETERS = [
    "self",
    "name",
    "sm_type",
    "role_arn",
    "exec_arn",
    "account_id",
    "region_name",
    "state_machine",
    "start_date",
    "cloud_watch_logging_session",
    "activity_store",
    "input_data",
    "trace_header",
]


def install_execution_logs() -> Installation:
    from moto.stepfunctions.parser.asl.eval.event.logging import (
        CloudWatchLoggingConfiguration,
        CloudWatchLoggingSession,
    )
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    require_source(
        StepFunctionsParserBackend.start_execution,
        ["cloud_watch_logging_session=None"],
        "StepFunctionsParserBackend.start_execution",
    )
    original_init = Execution.__init__
    require_signature(original_init, EXECUTION_PARAMETERS, "Execution.__init__")
    original_publish = CloudWatchLoggingSession.publish_history_log
    require_signature(original_publish, ["self", "history_log"], "CloudWatchLoggingSession.publish_history_log")

    def init_with_logging(self: Any, *args: Any, **kwargs: Any) -> None:
        bound = dict(zip(EXECUTION_PARAMETERS[1:], args, strict=False)) | kwargs
        if bound.get("cloud_watch_logging_session") is None:
            machine = bound["state_machine"]
            configuration = CloudWatchLoggingConfiguration.from_logging_configuration(
                state_machine_arn=machine.arn, logging_configuration=machine.loggingConfiguration
            )
            if configuration is not None:
                bound["cloud_watch_logging_session"] = CloudWatchLoggingSession(bound["exec_arn"], configuration)
        original_init(self, **bound)

    def publish_history_log(self: Any, history_log: Any) -> None:
        when = history_log["event_timestamp"]  # a datetime, or already its text
        moment = when if isinstance(when, datetime) else datetime.fromisoformat(str(when).replace("Z", "+00:00"))
        event = {"timestamp": int(moment.timestamp() * 1000), "message": to_json_str(history_log)}
        logs, group, stream = self._logs_client, self.configuration.log_group_name, self.configuration.log_stream_name
        with _STREAMS_LOCK:  # executions run in threads; moto's log streams are not thread-safe
            if group not in logs.groups:  # as on AWS: no log group, no logs (and no error for the execution)
                return
            if stream not in logs.groups[group].streams:
                logs.create_log_stream(group, stream)
            logs.put_log_events(group, stream, [event])

    return Installation(
        [
            replace(Execution, "__init__", init_with_logging),
            replace(CloudWatchLoggingSession, "publish_history_log", publish_history_log),
        ]
    )
