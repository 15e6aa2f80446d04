"""The declarative resource definition is consistent on its own (before any CDK or emulator reads it)."""

from infra_cdk import resources as res


def test_every_consumer_is_a_declared_function_and_visibility_is_six_times_its_timeout():
    for queue in res.QUEUES:
        if queue.consumer:
            function = res.function(queue.consumer)
            assert queue.visibility_timeout_s >= 6 * function.timeout_s, queue.logical_id
            assert 1 <= queue.batch_size <= 10_000


def test_notifications_target_declared_queues():
    queue_ids = {q.logical_id for q in res.QUEUES}
    for bucket in res.BUCKETS:
        for notification in bucket.notifications:
            assert notification.queue in queue_ids


def test_logical_ids_are_unique_and_names_are_valid_everywhere():
    ids = [t.logical_id for t in res.TABLES] + [q.logical_id for q in res.QUEUES] + [b.logical_id for b in res.BUCKETS]
    ids += [t.logical_id for t in res.TOPICS]
    assert len(ids) == len(set(ids))
    for logical_id in ids:
        name = res.local_name(logical_id)
        assert name == name.lower() and "_" not in name and len(name) <= 63


def test_handlers_are_importable():
    from scripts.local.lambda_runtime import load_handler

    for spec in res.FUNCTIONS:
        assert callable(load_handler(spec)), spec.logical_id
