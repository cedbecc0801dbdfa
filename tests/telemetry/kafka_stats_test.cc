// Consumer lag from librdkafka statistics JSON.
#include "daemon/telemetry/kafka_stats.h"

#include <string>

#include <gtest/gtest.h>

namespace newswatch::telemetry {
namespace {

// A consumer's statistics as librdkafka 2.0 emits them (one line, prettified here), cut down to
// two brokers, two topics and the fields around the partitions. news.fr: partitions 0 and 1
// assigned and fetching, 2 owned by another group member (never fetched), 3 revoked (stale
// numbers, fetch stopped), -1 the internal UnAssigned partition. news.en: partition 0 just
// assigned (offset query in progress, lag already known from the committed offset),
// partition 1 active but without a high watermark yet.
constexpr const char* kConsumerStats = R"json({
  "name": "rdkafka#consumer-1", "client_id": "newswatch", "type": "consumer",
  "ts": 5016483227792, "time": 1795676390, "age": 15000312, "replyq": 0,
  "msg_cnt": 0, "msg_size": 0, "msg_max": 100000, "msg_size_max": 1073741824,
  "simple_cnt": 0, "metadata_cache_cnt": 2,
  "brokers": {
    "kafka-1:9092/1": {
      "name": "kafka-1:9092/1", "nodeid": 1, "nodename": "kafka-1:9092", "source": "learned",
      "state": "UP", "stateage": 14988210, "outbuf_cnt": 0, "outbuf_msg_cnt": 0,
      "waitresp_cnt": 1, "waitresp_msg_cnt": 0, "tx": 152, "txbytes": 16436, "txerrs": 0,
      "txretries": 0, "txidle": 2100, "req_timeouts": 0, "rx": 151, "rxbytes": 923442,
      "rxerrs": 0, "rxcorriderrs": 0, "rxpartial": 0, "rxidle": 2211, "zbuf_grow": 0,
      "buf_grow": 0, "wakeups": 410, "connects": 1, "disconnects": 0,
      "req": {"Fetch": 140, "OffsetCommit": 3, "Metadata": 2},
      "int_latency": {"min": 0, "max": 0, "avg": 0, "sum": 0, "stddev": 0, "p50": 0, "p75": 0,
                      "p90": 0, "p95": 0, "p99": 0, "p99_99": 0, "outofrange": 0,
                      "hdrsize": 11376, "cnt": 0},
      "rtt": {"min": 310, "max": 100912, "avg": 50211, "sum": 7581861, "stddev": 49001,
              "p50": 401, "p75": 100351, "p90": 100351, "p95": 100351, "p99": 100863,
              "p99_99": 100863, "outofrange": 0, "hdrsize": 13424, "cnt": 151},
      "toppars": {"news.fr-0": {"topic": "news.fr", "partition": 0},
                  "news.en-0": {"topic": "news.en", "partition": 0}}
    },
    "kafka-2:9092/2": {
      "name": "kafka-2:9092/2", "nodeid": 2, "nodename": "kafka-2:9092", "source": "learned",
      "state": "UP", "stateage": 14988001, "toppars": {"news.fr-1": {"topic": "news.fr",
      "partition": 1}, "news.en-1": {"topic": "news.en", "partition": 1}}
    }
  },
  "topics": {
    "news.fr": {
      "topic": "news.fr", "age": 14990, "metadata_age": 4012,
      "batchsize": {"min": 0, "max": 0, "avg": 0, "sum": 0, "cnt": 0},
      "batchcnt": {"min": 0, "max": 0, "avg": 0, "sum": 0, "cnt": 0},
      "partitions": {
        "0": {"partition": 0, "broker": 1, "leader": 1, "desired": true, "unknown": false,
              "msgq_cnt": 0, "msgq_bytes": 0, "xmit_msgq_cnt": 0, "xmit_msgq_bytes": 0,
              "fetchq_cnt": 12, "fetchq_size": 24576, "fetch_state": "active",
              "query_offset": -1001, "next_offset": 1530, "app_offset": 1500,
              "stored_offset": 1490, "stored_leader_epoch": 3, "commited_offset": 1400,
              "committed_offset": 1400, "committed_leader_epoch": 3, "eof_offset": -1001,
              "lo_offset": 0, "hi_offset": 1542, "ls_offset": 1542, "consumer_lag": 42,
              "consumer_lag_stored": 52, "leader_epoch": 3, "txmsgs": 0, "txbytes": 0,
              "rxmsgs": 1530, "rxbytes": 3133440, "msgs": 1530, "rx_ver_drops": 0,
              "msgs_inflight": 0, "next_ack_seq": 0, "next_err_seq": 0, "acked_msgid": 0},
        "1": {"partition": 1, "broker": 2, "leader": 2, "desired": true, "unknown": false,
              "fetch_state": "active", "app_offset": 880, "committed_offset": 880,
              "hi_offset": 880, "ls_offset": 880, "consumer_lag": 0, "consumer_lag_stored": 0},
        "2": {"partition": 2, "broker": -1, "leader": 3, "desired": false, "unknown": false,
              "fetch_state": "none", "app_offset": -1001, "committed_offset": -1001,
              "hi_offset": -1001, "consumer_lag": -1, "consumer_lag_stored": -1},
        "3": {"partition": 3, "broker": 2, "leader": 2, "desired": false, "unknown": false,
              "fetch_state": "stopped", "app_offset": 100, "committed_offset": 100,
              "hi_offset": 105, "consumer_lag": 5, "consumer_lag_stored": 5},
        "-1": {"partition": -1, "broker": -1, "leader": -1, "desired": false, "unknown": false,
               "fetch_state": "none", "app_offset": -1001, "hi_offset": -1001,
               "consumer_lag": -1, "consumer_lag_stored": -1}
      }
    },
    "news.en": {
      "topic": "news.en", "age": 14990, "metadata_age": 4012,
      "partitions": {
        "0": {"partition": 0, "broker": 1, "leader": 1, "desired": true,
              "fetch_state": "offset-query", "app_offset": -1001, "committed_offset": 70,
              "hi_offset": 77, "consumer_lag": 7},
        "1": {"partition": 1, "broker": 2, "leader": 2, "desired": true,
              "fetch_state": "active", "app_offset": 10, "hi_offset": -1001,
              "consumer_lag": -1}
      }
    }
  },
  "cgrp": {"state": "up", "stateage": 14980, "join_state": "steady",
           "rebalance_age": 14001, "rebalance_cnt": 1, "rebalance_reason": "group rejoin",
           "assignment_size": 4}
})json";

TEST(KafkaStats, ConsumerLagOfAssignedPartitions) {
  const auto lags = parse_consumer_lag(kConsumerStats);
  ASSERT_EQ(lags.size(), 3u);
  EXPECT_EQ(lags[0].topic, "news.en");
  EXPECT_EQ(lags[0].partition, 0);
  EXPECT_EQ(lags[0].lag, 7);
  EXPECT_EQ(lags[1].topic, "news.fr");
  EXPECT_EQ(lags[1].partition, 0);
  EXPECT_EQ(lags[1].lag, 42);
  EXPECT_EQ(lags[2].topic, "news.fr");
  EXPECT_EQ(lags[2].partition, 1);
  EXPECT_EQ(lags[2].lag, 0);
}

TEST(KafkaStats, ProducerStatisticsHaveNoLag) {
  const auto lags = parse_consumer_lag(R"({"name":"rdkafka#producer-1","type":"producer",
    "topics":{"alerts":{"topic":"alerts","partitions":{"0":{"partition":0,"fetch_state":"none",
    "consumer_lag":-1},"-1":{"partition":-1,"consumer_lag":-1}}}}})");
  EXPECT_TRUE(lags.empty());
}

TEST(KafkaStats, MalformedInputGivesNothing) {
  const std::string full(kConsumerStats);
  for (const std::string& bad :
       {std::string(), std::string("not json"), std::string("[]"), std::string("null"),
        std::string("{}"), std::string(R"({"topics": 3})"), std::string(R"({"topics": []})"),
        full.substr(0, full.size() / 2), full.substr(0, full.size() - 1), full + "}",
        std::string("{\"topics\":{\"a\":{\"partitions\":{\"0\":{\"consumer_lag\":1}}}}} x"),
        // simdjson refuses integers beyond 64 bits: the whole document is rejected.
        std::string("{\"topics\":{\"a\":{\"partitions\":{\"0\":{\"consumer_lag\":1},"
                    "\"1\":{\"consumer_lag\":99999999999999999999}}}}}")}) {
    EXPECT_TRUE(parse_consumer_lag(bad).empty()) << bad.substr(0, 80);
  }
}

TEST(KafkaStats, BadEntriesAreSkippedAndTheRestKept) {
  const auto lags = parse_consumer_lag(R"({"topics": {
    "t": {"partitions": {
      "0": {"partition": 0, "fetch_state": "active", "consumer_lag": "12"},
      "1": {"partition": 1, "fetch_state": "active", "consumer_lag": 1.5},
      "2": {"partition": 2, "fetch_state": "active", "consumer_lag": -5},
      "3": {"partition": 3, "fetch_state": "active", "consumer_lag": 3},
      "4": [1, 2],
      "x": {"fetch_state": "active", "consumer_lag": 9},
      "5": {"partition": 4294967296, "fetch_state": "active", "consumer_lag": 9},
      "6": {"fetch_state": "active", "consumer_lag": 6}
    }},
    "not-an-object": 1,
    "no-partitions": {"topic": "no-partitions"},
    "": {"partitions": {"0": {"partition": 0, "consumer_lag": 1}}}
  }})");
  ASSERT_EQ(lags.size(), 2u);
  EXPECT_EQ(lags[0].topic, "t");
  EXPECT_EQ(lags[0].partition, 3);
  EXPECT_EQ(lags[0].lag, 3);
  EXPECT_EQ(lags[1].partition, 6);  // id from the key when the field is missing
  EXPECT_EQ(lags[1].lag, 6);
}

TEST(KafkaStats, MissingFetchStateDoesNotExclude) {
  const auto lags = parse_consumer_lag(
      R"({"topics":{"t":{"partitions":{"2":{"partition":2,"consumer_lag":11}}}}})");
  ASSERT_EQ(lags.size(), 1u);
  EXPECT_EQ(lags[0].lag, 11);
}

}  // namespace
}  // namespace newswatch::telemetry
