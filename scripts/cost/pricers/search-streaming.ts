/** Amazon OpenSearch Service domains and MSK clusters: instances and their EBS storage. */
import { count, input, line, monthOf, type Pricer, priced, priceOf, Unpriceable } from "../model.js";

/** gp3's baseline, included in the storage price; more is billed separately, which the table lacks. */
const gp3Baseline = { iops: 3000, throughput: 125 };

/** Data nodes, dedicated masters, and each data node's EBS volume. */
export const openSearchDomain: Pricer = (domain, context) => {
  const { opensearch } = context.prices;
  if (input(domain, "clusterConfig.warmEnabled") === true)
    throw new Unpriceable("UltraWarm nodes are not in the price table");
  const dataType = String(input(domain, "clusterConfig.instanceType"));
  const dataNodes = count(domain, "clusterConfig.instanceCount", 1);
  const lines = [
    monthOf(
      context,
      `${dataNodes} × ${dataType} data nodes`,
      dataNodes,
      priceOf(opensearch.instanceHour, dataType, "OpenSearch", context.region),
    ),
  ];
  if (input(domain, "clusterConfig.dedicatedMasterEnabled") === true) {
    const masterType = String(input(domain, "clusterConfig.dedicatedMasterType"));
    const masters = count(domain, "clusterConfig.dedicatedMasterCount");
    const hourly = priceOf(opensearch.instanceHour, masterType, "OpenSearch", context.region);
    lines.push(monthOf(context, `${masters} × ${masterType} dedicated masters`, masters, hourly));
  }
  if (input(domain, "ebsOptions.ebsEnabled") === true) {
    if (input(domain, "ebsOptions.volumeType") !== "gp3")
      throw new Unpriceable(
        `EBS volume type ${String(input(domain, "ebsOptions.volumeType"))}: the table prices gp3 only`,
      );
    if (
      count(domain, "ebsOptions.iops", 0) > gp3Baseline.iops ||
      count(domain, "ebsOptions.throughput", 0) > gp3Baseline.throughput
    )
      throw new Unpriceable("gp3 IOPS or throughput above the baseline is not in the price table");
    const size = count(domain, "ebsOptions.volumeSize");
    lines.push(
      line(`${dataNodes} × ${size} GiB gp3 volumes`, dataNodes * size, "GiB-month", opensearch.gp3GiBMonth),
    );
  }
  return priced(...lines);
};

/** Provisioned MSK: each broker and its storage. */
export const mskCluster: Pricer = (cluster, context) => {
  const { msk } = context.prices;
  if (input(cluster, "brokerNodeGroupInfo.storageInfo.ebsStorageInfo.provisionedThroughput.enabled") === true)
    throw new Unpriceable("provisioned storage throughput is not in the price table");
  const brokerType = String(input(cluster, "brokerNodeGroupInfo.instanceType"));
  const brokers = count(cluster, "numberOfBrokerNodes");
  const size = count(cluster, "brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize");
  return priced(
    monthOf(
      context,
      `${brokers} × ${brokerType} brokers`,
      brokers,
      priceOf(msk.brokerHour, brokerType, "MSK broker", context.region),
    ),
    line(`${brokers} × ${size} GiB broker storage`, brokers * size, "GiB-month", msk.storageGiBMonth),
  );
};
