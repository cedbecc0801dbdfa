// A prometheus::Registry that also collects extra Collectables (the process collector).
//
// prometheus-cpp 1.0's Registry only collects the families built into it; custom
// Collectables are normally registered with the pull library's Exposer, which newswatch does
// not use (HttpServer serves the registry itself). CollectorRegistry is a Registry, so metric
// builders register into it as usual, and its Collect() appends what every added Collectable
// returns. Anything holding it as a std::shared_ptr<prometheus::Registry> (HttpServer, tests)
// sees the extra families through the virtual Collect().
//
// Thread-safety: add_collectable() and Collect() may be called concurrently from any threads.
// Collectables are collected in the order they were added, after the registry's own families;
// they must not collect this registry (no cycles). Family names must not repeat across them.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

namespace newswatch::telemetry {

class CollectorRegistry final : public prometheus::Registry {
 public:
  CollectorRegistry() = default;

  // Adds a collectable; the registry keeps it alive. A null pointer is ignored.
  void add_collectable(std::shared_ptr<const prometheus::Collectable> collectable);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<const prometheus::Collectable>> extra_;
};

}  // namespace newswatch::telemetry
