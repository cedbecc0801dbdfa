#include "daemon/telemetry/registry.h"

#include <iterator>
#include <utility>

namespace newswatch::telemetry {

void CollectorRegistry::add_collectable(
    std::shared_ptr<const prometheus::Collectable> collectable) {
  if (!collectable) return;
  std::lock_guard lock(mutex_);
  extra_.push_back(std::move(collectable));
}

std::vector<prometheus::MetricFamily> CollectorRegistry::Collect() const {
  std::vector<prometheus::MetricFamily> families = prometheus::Registry::Collect();
  std::vector<std::shared_ptr<const prometheus::Collectable>> extra;
  {
    std::lock_guard lock(mutex_);
    extra = extra_;
  }
  for (const auto& collectable : extra) {
    std::vector<prometheus::MetricFamily> more = collectable->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }
  return families;
}

}  // namespace newswatch::telemetry
