"""AWS::SNS::Topic: CreateTopic is idempotent for one name, so a re-deploy finds the same topic."""

from __future__ import annotations

from typing import Any

from .base import Provisioner, Result, Target


class TopicProvisioner(Provisioner):
    resource_type = "AWS::SNS::Topic"
    properties = frozenset({"DisplayName", "KmsMasterKeyId", "TopicName"})

    def apply(self, logical_id: str, properties: dict[str, Any], target: Target) -> Result:
        sns = target.clients("sns")
        name = str(properties.get("TopicName") or target.name(logical_id, max_length=256))
        attributes = {key: str(properties[key]) for key in ("DisplayName", "KmsMasterKeyId") if key in properties}
        existed = any(
            topic["TopicArn"].rsplit(":", 1)[-1] == name
            for page in sns.get_paginator("list_topics").paginate()
            for topic in page.get("Topics", [])
        )
        arn = str(sns.create_topic(Name=name, Attributes=attributes)["TopicArn"])
        for key, value in attributes.items():  # CreateTopic leaves an existing topic's attributes as they were
            sns.set_topic_attributes(TopicArn=arn, AttributeName=key, AttributeValue=value)
        return Result(
            ref=arn, action="updated" if existed else "created", attributes={"TopicArn": arn, "TopicName": name}
        )
