// Consumer lag from librdkafka statistics (the JSON given to the stats callback when
// statistics.interval.ms > 0; layout per librdkafka's STATISTICS.md):
//
//   {"type":"consumer", ...,
//    "topics": {"<topic>": {"topic": "<topic>", ...,
//                           "partitions": {"<id>": {"partition": <id>,
//                                                   "fetch_state": "active", ...,
//                                                   "consumer_lag": <n>, ...}}}}}
//
// A partition is reported when all of these hold:
//   - its id is >= 0 (partition -1 is librdkafka's internal UnAssigned partition);
//   - consumer_lag >= 0 (-1 means unknown: no high watermark or no position yet);
//   - fetch_state is not "none", "stopping" or "stopped": partitions this member does not
//     (or no longer) fetch keep their last, stale numbers in the statistics. A missing
//     fetch_state does not exclude a partition.
// The result is sorted by (topic, partition).
//
// Errors: never throws for bad input (only std::bad_alloc). Input that is not JSON, or whose
// top level is not an object, gives an empty vector; a malformed topic or partition entry
// (wrong type, id out of range) is skipped and the others are still returned. A missing or
// non-object "topics" gives an empty vector.
// Thread-safety: a pure function; each call uses its own parser.
#pragma once

#include <string_view>
#include <vector>

#include "daemon/telemetry/metrics.h"

namespace newswatch::telemetry {

std::vector<Metrics::PartitionLag> parse_consumer_lag(std::string_view statistics_json);

}  // namespace newswatch::telemetry
