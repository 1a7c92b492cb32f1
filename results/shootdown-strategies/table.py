# Prints, as Markdown, the p50 modeled shootdown latency at the initiator (us) and the IPIs sent per run at 64
# simulated CPUs, per strategy, workload and cost profile, seeds averaged, from a merged.csv:
#   python3 table.py merged.csv > table.md      (reproduce.sh does this)
import csv, sys, statistics as st
rows = list(csv.DictReader(open(sys.argv[1])))
ops = ["snapshot", "munmap", "forkserver"]
strategies = ["broadcast","targeted","linux","latr","hw-broadcast","batched","abis","early-ack","multicast","didi"]
for profile in ["epyc-zen5-microvm", "skylake-server"]:
    print(f"\n### {profile}, 64 simulated CPUs\n\np50 modeled shootdown latency at the initiator, µs (IPIs sent per run)\n")
    print("| strategy | " + " | ".join(ops) + " |")
    print("|---|" + "---|" * len(ops))
    for s in strategies:
        cells = []
        for w in ops:
            rs = [r for r in rows if r["workload"] == w and r["shootdown.strategy"] == s and r["cost.profile"] == profile and r["cpus"] == "64"]
            ghz = float(rs[0]["cost.ghz"])
            lat = st.mean(float(r["modeled:shootdown.initiator_cycles:p50"]) / (ghz * 1000) for r in rs)
            ipis = st.mean(float(r["modeled:shootdown.ipis_sent"]) for r in rs)
            cells.append(f"{lat:.2f} ({ipis:,.0f})")
        print(f"| {s} | " + " | ".join(cells) + " |")
