// Lists the ConfigDef keys of Kafka's Java producer, consumer and admin client (role, key, type,
// default), the source of tests/data/kafka-3.9-client-keys.properties:
//   CP=$(ls ~/.cache/kafka-dr/kafka-3.9.2/libs/*.jar | tr '\n' ':')
//   javac -cp "$CP" -d /tmp ListKafkaClientKeys.java && java -cp "$CP:/tmp" ListKafkaClientKeys
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.admin.AdminClientConfig;
public class ListKafkaClientKeys {
  static void dump(String role, ConfigDef d) {
    for (ConfigDef.ConfigKey k : d.configKeys().values()) {
      Object def = k.hasDefault() ? k.defaultValue : "<none>";
      System.out.println(role + "\t" + k.name + "\t" + k.type + "\t" + def);
    }
  }
  public static void main(String[] a) {
    dump("producer", ProducerConfig.configDef());
    dump("consumer", ConsumerConfig.configDef());
    dump("admin", AdminClientConfig.configDef());
  }
}
