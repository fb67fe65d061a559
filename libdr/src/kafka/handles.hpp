// RAII owners of librdkafka handles (private to libdr; tools never see rdkafka.h).
#pragma once

#include <librdkafka/rdkafka.h>

#include <string>

#include "common/handle.hpp"
#include "dr/error.hpp"

namespace dr::kafka {

using ConfHandle = Handle<rd_kafka_conf_t, rd_kafka_conf_destroy>;
using TopicConfHandle = Handle<rd_kafka_topic_conf_t, rd_kafka_topic_conf_destroy>;
using KafkaHandle = Handle<rd_kafka_t, rd_kafka_destroy>;
using PartitionListHandle = Handle<rd_kafka_topic_partition_list_t, rd_kafka_topic_partition_list_destroy>;
using MessageHandle = Handle<rd_kafka_message_t, rd_kafka_message_destroy>;
using EventHandle = Handle<rd_kafka_event_t, rd_kafka_event_destroy>;
using HeadersHandle = Handle<rd_kafka_headers_t, rd_kafka_headers_destroy>;
using QueueHandle = Handle<rd_kafka_queue_t, rd_kafka_queue_destroy>;
using AdminOptionsHandle = Handle<rd_kafka_AdminOptions_t, rd_kafka_AdminOptions_destroy>;
using NewTopicHandle = Handle<rd_kafka_NewTopic_t, rd_kafka_NewTopic_destroy>;
using NewPartitionsHandle = Handle<rd_kafka_NewPartitions_t, rd_kafka_NewPartitions_destroy>;
using ConfigResourceHandle = Handle<rd_kafka_ConfigResource_t, rd_kafka_ConfigResource_destroy>;
using DeleteRecordsHandle = Handle<rd_kafka_DeleteRecords_t, rd_kafka_DeleteRecords_destroy>;
using ErrorHandle = Handle<rd_kafka_error_t, rd_kafka_error_destroy>;

class ClientConfig;

// Builds a librdkafka conf from a ClientConfig. Throws dr::Error(bad_input) naming the origin of
// a key librdkafka rejects.
ConfHandle make_conf(const ClientConfig& config);

// Context for errors: the librdkafka error name, e.g. "_TRANSPORT".
inline std::string error_name(rd_kafka_resp_err_t err) { return rd_kafka_err2name(err); }

}  // namespace dr::kafka
