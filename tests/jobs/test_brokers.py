"""End to end through django-q2's real broker, worker and monitor, in this process.

A cluster would fork a pusher, workers and a monitor; here the same functions run in turn:
``broker.dequeue()`` (the pusher's pull), ``django_q.worker.worker`` (executes the task) and
``django_q.monitor.monitor`` (stores the result, moves a chain on, acknowledges the message).
The worker closes stale database connections as a cluster worker does, so these tests use
``transaction=True``.
"""

from __future__ import annotations

from datetime import timedelta
from multiprocessing import Value

import pytest
import redis
from django.utils import timezone
from django_q.brokers import Broker, get_broker, orm, redis_broker
from django_q.conf import Conf
from django_q.models import OrmQ, Schedule, Task
from django_q.monitor import monitor
from django_q.queues import Queue
from django_q.scheduler import scheduler
from django_q.signing import SignedPackage
from django_q.tasks import async_task
from django_q.worker import worker

from routing_health.jobs import schedules
from routing_health.management.commands.setup_schedules import apply_schedules

REDIS_URL = "redis://127.0.0.1:6379/15"

pytestmark = pytest.mark.django_db(transaction=True)


def run_queued_tasks(broker: Broker) -> int:
    """Pull every waiting task from ``broker`` and run it as a cluster would; returns how many."""
    task_queue, result_queue = Queue(), Queue()
    pulled = 0
    while broker.queue_size():  # dequeue() on an empty queue blocks (Redis) or sleeps (ORM)
        for ack_id, payload in broker.dequeue() or []:
            task = SignedPackage.loads(payload)
            task["ack_id"], task["cluster"] = ack_id, Conf.CLUSTER_NAME
            task_queue.put(task)
            pulled += 1
    task_queue.put("STOP")
    worker(task_queue, result_queue, Value("f", -1))
    result_queue.put("STOP")
    monitor(result_queue, broker)
    for queue in (task_queue, result_queue):
        queue.close()
        queue.join_thread()
    return pulled


@pytest.fixture
def redis_db15():
    client = redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis does not answer at {REDIS_URL}: {exc}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def redis_cluster(redis_db15, q_conf, settings):
    """Q_CLUSTER as it is with REDIS_URL set: the Redis broker on database 15."""
    cluster = {key: value for key, value in settings.Q_CLUSTER.items() if key != "orm"}
    settings.Q_CLUSTER = {**cluster, "redis": REDIS_URL}
    q_conf(REDIS=REDIS_URL, ORM=None, SYNC=False)
    broker = get_broker()
    assert isinstance(broker, redis_broker.Redis)
    return broker


@pytest.fixture
def orm_cluster(q_conf):
    q_conf(ORM="default", SYNC=False)
    broker = get_broker()
    assert isinstance(broker, orm.ORM)
    return broker


def test_a_task_runs_end_to_end_through_the_redis_broker(redis_cluster, redis_db15):
    task_id = async_task("tests.jobs.sample_tasks.add", 2, 3)
    assert redis_db15.llen(redis_cluster.list_key) == 1
    assert run_queued_tasks(redis_cluster) == 1
    task = Task.objects.get(id=task_id)
    assert (task.success, task.result, task.func) == (True, 5, "tests.jobs.sample_tasks.add")
    assert redis_cluster.queue_size() == 0


def test_a_task_runs_end_to_end_through_the_orm_broker(orm_cluster):
    task_id = async_task("tests.jobs.sample_tasks.add", 20, 22)
    assert OrmQ.objects.count() == 1
    assert run_queued_tasks(orm_cluster) == 1
    assert Task.objects.get(id=task_id).result == 42
    assert not OrmQ.objects.exists()  # acknowledged


def sync_only():
    """The sync schedule alone: the one-minute notification retries would be due too."""
    return [spec for spec in schedules.declared_schedules() if spec.name.endswith(":sync")]


def test_a_scheduled_sync_chains_metrics_then_alerts_over_redis(redis_cluster, recorder):
    apply_schedules(sync_only(), now=timezone.now() - timedelta(minutes=1))
    scheduler(redis_cluster)  # due now: the sync; the hourly report ticks are still ahead
    assert run_queued_tasks(redis_cluster) == 1  # run_sync, which enqueues the chain
    assert run_queued_tasks(redis_cluster) == 1  # run_compute_metrics, which moves it on
    assert run_queued_tasks(redis_cluster) == 1  # run_evaluate_alerts
    assert recorder.calls == ["sync", "compute_metrics", "evaluate_alerts"]
    assert [t.func.rsplit(".", 1)[1] for t in Task.objects.order_by("started")] == [
        "run_sync",
        "run_compute_metrics",
        "run_evaluate_alerts",
    ]
    sync = Schedule.objects.get(name="routing-health:sync")
    assert sync.next_run > timezone.now()  # catch_up off: the next tick is in the future


def test_a_scheduled_sync_chains_metrics_then_alerts_over_the_orm_broker(orm_cluster, recorder):
    apply_schedules(sync_only(), now=timezone.now() - timedelta(minutes=1))
    scheduler(orm_cluster)
    for _ in range(3):
        assert run_queued_tasks(orm_cluster) == 1
    assert recorder.calls == ["sync", "compute_metrics", "evaluate_alerts"]
    assert all(Task.objects.values_list("success", flat=True))
