-- A task's health as ECS derives it from its essential containers' health checks
-- (lifecycle::TaskHealth), written with the agent reports that change it. NULL: UNKNOWN
-- (no check, or none reported yet). Adding a nullable column rewrites nothing.
ALTER TABLE tasks ADD COLUMN health_status text
  CHECK (health_status IN ('HEALTHY', 'UNHEALTHY', 'UNKNOWN'));
