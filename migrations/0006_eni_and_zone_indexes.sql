-- Indexes for the EC2 describe calls added with this migration.

-- DescribeNetworkInterfaces: an account's ENIs, all of them or by id.
CREATE INDEX network_interfaces_by_account ON network_interfaces (account_id, eni_id);

-- DescribeAvailabilityZones: the distinct zones of the hosts that are not INACTIVE,
-- read by skipping from one zone to the next, so the cost follows the number of zones,
-- not of hosts. Heartbeats change neither column, so their updates stay HOT.
CREATE INDEX hosts_live_by_zone ON hosts (availability_zone) WHERE status <> 'INACTIVE';
