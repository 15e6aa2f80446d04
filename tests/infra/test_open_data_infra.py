"""The open-data service in the template: private bucket behind CloudFront (OAC), logs, versioning, lifecycle,
the builder's triggers (queue, S3 notification, schedule) and its least-privilege grants, the change feed."""

from __future__ import annotations

import json
import re

from aws_cdk.assertions import Match

from infra_cdk import resources as res
from tests.infra.conftest import of_type


def _one(resources: dict, cfn_type: str, fragment: str) -> tuple[str, dict]:
    matches = [(k, r) for k, r in of_type(resources, cfn_type).items() if fragment in k]
    assert len(matches) == 1, (cfn_type, fragment, [k for k, _ in matches])
    return matches[0]


def _bucket(resources: dict, logical_id: str) -> tuple[str, dict]:
    pattern = re.compile(rf"^StateBucket{logical_id.replace('_', '')}[0-9A-F]{{8}}$")
    [(key, bucket)] = [(k, r) for k, r in of_type(resources, "AWS::S3::Bucket").items() if pattern.match(k)]
    return key, bucket


def _actions(statement: dict) -> list[str]:
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


def test_open_data_bucket_is_private_versioned_logged_with_lifecycle(resources):
    _, bucket = _bucket(resources, "open_data")
    props = bucket["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    assert props["LoggingConfiguration"]["LogFilePrefix"] == "open_data/"
    rules = props["LifecycleConfiguration"]["Rules"]
    spec = next(b for b in res.BUCKETS if b.logical_id == "open_data")
    assert any(r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays") == spec.noncurrent_expiry_days for r in rules)
    assert any(r.get("Prefix") == "datasets/" and r["Transitions"][0]["StorageClass"] == "STANDARD_IA" for r in rules)


def test_open_data_is_served_read_only_through_cloudfront_with_origin_access_control(resources):
    bucket_id, _ = _bucket(resources, "open_data")
    _, oac = _one(resources, "AWS::CloudFront::OriginAccessControl", "OpenData")
    assert oac["Properties"]["OriginAccessControlConfig"]["OriginAccessControlOriginType"] == "s3"
    assert oac["Properties"]["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    dist_id, dist = _one(resources, "AWS::CloudFront::Distribution", "OpenData")
    config = dist["Properties"]["DistributionConfig"]
    assert config["DefaultRootObject"] == "catalog.json"
    assert config["Logging"]["Prefix"] == "open-data-cdn/"
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert sorted(behavior["AllowedMethods"]) == ["GET", "HEAD"]
    [origin] = config["Origins"]
    assert origin["DomainName"]["Fn::GetAtt"][0] == bucket_id
    assert "OriginAccessControlId" in origin
    # The bucket policy lets exactly this distribution read objects, nothing more.
    statements = [
        s
        for p in of_type(resources, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"]["Ref"] == bucket_id
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]
    assert len(statements) == 1
    assert statements[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert _actions(statements[0]) == ["s3:GetObject"]
    assert dist_id in json.dumps(statements[0]["Condition"])


def test_builder_is_triggered_by_its_queue_source_drops_and_a_schedule(resources):
    function_id, _ = _one(resources, "AWS::Lambda::Function", "OpenDataBuilder")
    queue_id, queue = _one(resources, "AWS::SQS::Queue", "Queueopendataevents")
    mappings = [m for m in of_type(resources, "AWS::Lambda::EventSourceMapping").values() if m["Properties"]["FunctionName"]["Ref"] == function_id]
    assert [m["Properties"]["EventSourceArn"]["Fn::GetAtt"][0] for m in mappings] == [queue_id]
    assert mappings[0]["Properties"]["MaximumBatchingWindowInSeconds"] == res.queue("open_data_events").max_batching_window_s
    sources_id, _ = _bucket(resources, "open_data_sources")
    notifications = [
        c
        for n in of_type(resources, "Custom::S3BucketNotifications").values()
        if n["Properties"]["BucketName"]["Ref"] == sources_id
        for c in n["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    ]
    assert [c["QueueArn"]["Fn::GetAtt"][0] for c in notifications] == [queue_id]
    assert notifications[0]["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "incoming/"}]
    _, rule = _one(resources, "AWS::Events::Rule", "OpenDataSchedule")
    assert rule["Properties"]["ScheduleExpression"].startswith("cron(")
    assert [t["Arn"]["Fn::GetAtt"][0] for t in rule["Properties"]["Targets"]] == [function_id]


def test_builder_writes_only_datasets_and_the_catalogue_and_publishes_only_to_its_feed(resources):
    _, policy = _one(resources, "AWS::IAM::Policy", "OpenDataBuilder")
    bucket_id, _ = _bucket(resources, "open_data")
    sources_id, _ = _bucket(resources, "open_data_sources")
    topic_id, _ = _one(resources, "AWS::SNS::Topic", "Topicopendatachanges")
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        actions = _actions(statement)
        targets = json.dumps(statement["Resource"])
        if "s3:DeleteObject" in actions:
            assert bucket_id in targets and "/datasets/*" in targets and "/catalog.json" in targets and sources_id not in targets
        if "s3:PutObject" in actions:  # dataset versions and the catalogue, or the private session ledger
            assert (bucket_id in targets and sources_id not in targets) or (sources_id in targets and targets.endswith('/ledger/*"]]}') and bucket_id not in targets), targets
        if any(a.startswith("sns:") for a in actions):
            assert actions == ["sns:Publish"] and statement["Resource"] == {"Ref": topic_id}
        assert not any(a.startswith("dynamodb:") and a not in {
            "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable", "dynamodb:GetItem",
            "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:Query", "dynamodb:Scan",
        } for a in actions), statement


def test_builder_knows_the_public_base_url_and_the_feed(resources):
    _, function = _one(resources, "AWS::Lambda::Function", "OpenDataBuilder")
    variables = function["Properties"]["Environment"]["Variables"]
    assert "OpenDataCdn" in json.dumps(variables["CUSTOMS_OPEN_DATA_BASE_URL"])
    assert variables[res.env_var("TOPIC", "open_data_changes")] == {"Ref": _one(resources, "AWS::SNS::Topic", "Topicopendatachanges")[0]}
    assert variables[res.env_var("BUCKET", "open_data")]["Ref"] == _bucket(resources, "open_data")[0]


def test_change_feed_topic_is_encrypted_and_tls_only(template, resources):
    template.resource_count_is("AWS::SNS::Topic", len(res.TOPICS))
    template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})
    topic_ids = set(of_type(resources, "AWS::SNS::Topic"))
    tls_only = {
        ref["Ref"]
        for p in of_type(resources, "AWS::SNS::TopicPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        for ref in p["Properties"]["Topics"]
    }
    assert tls_only == topic_ids


def test_builder_is_a_container_image_with_its_spec(resources):
    _, function = _one(resources, "AWS::Lambda::Function", "OpenDataBuilder")
    props = function["Properties"]
    assert props["PackageType"] == "Image"  # pyarrow does not fit the zip layers
    assert props["Timeout"] == res.OPEN_DATA.timeout_s and props["MemorySize"] == res.OPEN_DATA.memory_mb
    assert props["TracingConfig"] == {"Mode": "Active"}


def test_builder_may_read_the_vehicle_tables_its_adapter_scans(resources):
    from functions.open_data import adapters
    from infra_cdk.constructs import open_data

    assert open_data.VEHICLE_TABLES == adapters.VEHICLE_TABLES
    _, policy = _one(resources, "AWS::IAM::Policy", "OpenDataBuilder")
    scanned = {
        json.dumps(statement["Resource"])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "dynamodb:Scan" in _actions(statement)
    }
    declared = {t.logical_id for t in res.TABLES} & set(adapters.VEHICLE_TABLES)
    for table_id in declared | {"classification_sessions"}:
        assert any(f"StateTable{table_id.replace('_', '')}" in s for s in scanned), table_id
