import time, json
from collections import Counter
from tests.conftest import NOW
from routing_health import runtime
from routing_health.rollups import compute_metrics
from routing_health.models import *
from routing_health.alerts.service import run_evaluation

def test_scratch(synced_org, settings):
    t = time.time()
    config = runtime.routing_config()
    compute_metrics(config=config, as_of=NOW)
    print("compute", time.time() - t)
    t = time.time()
    rep = run_evaluation(config=config, as_of=NOW, transport=None)
    print("eval", time.time() - t, rep.lines())
    f = synced_org.facts
    print(json.dumps({k: v for k, v in f.items() if k in ("owners","inactive_rep","incident","backlog","queued_over_limit_by_queue","counts")}, default=str, indent=1)[:5000])
    print(Counter(LeadFact.objects.values_list("outcome", flat=True)))
    print(Counter(LeadFact.objects.values_list("failure_reason", flat=True)))
    print(Counter(LeadFact.objects.filter(queued=True).values_list("queue_owner", flat=True)))
    print(Counter(LeadFact.objects.values_list("first_rep", flat=True)))
    print(Counter(LeadFact.objects.values_list("region", "tier")))
    print(Counter(LeadFact.objects.values_list("source", flat=True)))
    print(Counter(LeadFact.objects.values_list("bounced", flat=True)))
    print(list(SalesforceUser.objects.values_list("id","name","is_active")))
    print(list(Queue.objects.values_list("id","name")))
    for i in AlertIncident.objects.all():
        print(i.rule, i.region, i.tier, i.failure_reason, i.state, i.current_value, i.threshold, i.comparison, i.snoozed_until, i.last_notified_at, json.dumps(i.details)[:300])
    print(Counter(Notification.objects.values_list("status", flat=True)))
    print(config.owners, config.tiers, config.windows, config.report)
    print(MetricsState.objects.get().as_of)
