"""Load testing the matcher service with the site's own traffic: open loop, honest latencies, the knee.

The twin knows when each face would reach the matcher, so it can drive a real `twin matcher serve`
the way the estate would, without the "coordinated omission" of closed-loop tools (which wait for an
answer before sending the next request, so a stalled server slows the test instead of showing up in
its latencies). One concept per module:

- `plan`: the validated request (rates, window, speed, step length, SLO, duration cap);
- `target`: which service to load (loopback unless allowed), and the check that it is a twin matcher;
- `probes`: the scenario's watchlist gallery and probe embeddings with their expected identities;
- `schedule`: when each request goes (the site's captures replayed, or Poisson arrivals at a rate);
- `http` and `sender`: the open-loop sender, in its own process, measuring its own lag;
- `recorder`: latencies from the intended send time (HdrHistogram), errors, wrong answers, tables;
- `sweep`: constant-rate steps and the knee under the SLO;
- `compare`: the simulated pipeline against the real service for the same window and load;
- `summary`, `plot`, `report`: summary.json's content, the latency-versus-throughput plot, and the
  results directory;
- `runner`: the order of it all.

This package imports nothing heavy at the top, so the sender's process starts quickly.
"""
