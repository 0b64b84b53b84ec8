import json, math, random
random.seed(7)
def base(name, dur):
    svc = random.choice([0.5, 1, 1.5, 2, 3, 6])
    conc = random.choice([1,1,1,2,4])
    return {"name": name, "duration_s": dur, "service_time_s": svc,
            "service_jitter": random.choice(["exponential", "exponential", ""]),
            "worker_concurrency": conc, "pod_startup_s": random.choice([5, 10, 20, 30, 60, 90]),
            "stats_interval_s": 5, "initial_replicas": random.choice([1, 2, 3]), "seed": 1, "arrivals": []}
def pol(sc, maxr=None):
    sc["policy"] = {"min_replicas": random.choice([1, 1, 2]), "max_replicas": maxr or random.choice([10, 20, 30, 40, 60]),
                    "target_messages": random.choice([20, 50, 100, 250, 500]), "poll_interval_s": random.choice([5, 10, 15, 15, 30])}
    return sc
def cap(sc):  # msgs/s one replica does
    return sc["worker_concurrency"] / sc["service_time_s"]
out = []
for i in range(8):  # single bursts with background
    sc = base(f"rb{i}", 3600); pol(sc)
    n = random.choice([1000, 3000, 10000, 30000])
    sc["arrivals"] = [{"at_s": random.choice([0, 300, 900]), "count": n},
                      {"from_s": 0, "to_s": 3300, "rate_per_s": round(cap(sc) * random.uniform(0.3, 3), 2), "poisson": True}]
    out.append(sc)
for i in range(6):  # bursts every 6-15 min
    sc = base(f"rp{i}", 4200); pol(sc)
    per = random.choice([360, 480, 600, 900]); n = random.choice([500, 2000, 5000])
    sc["arrivals"] = [{"at_s": t, "count": n} for t in range(0, 3600, per)] + [{"from_s": 0, "to_s": 3600, "rate_per_s": round(cap(sc)*random.uniform(0.2,1.5),2), "poisson": True}]
    out.append(sc)
for i in range(8):  # daily-like cycles
    sc = base(f"rd{i}", random.choice([5400, 7200, 9000])); pol(sc)
    peak = cap(sc) * random.uniform(3, 25); low = peak * random.uniform(0.05, 0.4)
    period = sc["duration_s"] - 600; step = random.choice([60, 120])
    arr = []
    for t in range(0, period, step):
        r = low + (peak - low) * (1 - math.cos(2 * math.pi * t / period)) / 2
        arr.append({"from_s": t, "to_s": t + step, "rate_per_s": round(r, 3), "poisson": True})
    sc["arrivals"] = arr
    out.append(sc)
for i in range(6):  # steps
    sc = base(f"rs{i}", 3600); pol(sc)
    arr = []; t = 0
    while t < 3300:
        d = random.choice([300, 600, 900]); arr.append({"from_s": t, "to_s": min(t + d, 3300), "rate_per_s": round(cap(sc) * random.uniform(0.5, 15), 2), "poisson": True}); t += d
    sc["arrivals"] = arr
    out.append(sc)
for i in range(6):  # steady
    sc = base(f"rt{i}", 3600); pol(sc)
    sc["arrivals"] = [{"from_s": 0, "to_s": 3400, "rate_per_s": round(cap(sc) * random.uniform(0.5, 20), 2), "poisson": True}]
    out.append(sc)
for i in range(6):  # ramps up and down
    sc = base(f"rr{i}", 3600); pol(sc)
    peak = cap(sc) * random.uniform(5, 30); arr = []
    for t in range(0, 3000, 60):
        f = t / 1500 if t < 1500 else (3000 - t) / 1500
        arr.append({"from_s": t, "to_s": t + 60, "rate_per_s": round(max(0.05, peak * f), 3), "poisson": True})
    sc["arrivals"] = arr
    out.append(sc)
for sc in out:
    if sc["service_jitter"] == "": del sc["service_jitter"]
    json.dump(sc, open(sc["name"] + ".json", "w"))
print(",".join(s["name"] for s in out))
