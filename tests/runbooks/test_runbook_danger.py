"""The one place that knows destructive shapes, read-only commands and risky prose."""

from __future__ import annotations

import pytest

from warroom.runbooks.danger import dangerous_reason, is_read_only, prose_danger, risk_marker


@pytest.mark.parametrize("command", [
    "kubectl exec -i db-0 -- psql -U postgres app < backup.sql",
    "mysql prod < dump.sql",
    "pg_restore -d app /backups/app.dump",
    "kubectl apply -f backups/deploy.yaml",
    "find /var/log/app -name '*.gz' -exec rm {} \\;",
    "find /tmp/exports -mtime +7 -delete",
    "truncate -s 0 /var/log/app.log",
    "kubectl drain node-1 --ignore-daemonsets",
    "nomad node drain -enable node-1",
    "kubectl delete pod web-0",
    "kubectl scale deploy web --replicas 0",
    "aws autoscaling update-auto-scaling-group --auto-scaling-group-name web --desired-capacity 0",
    "sudo systemctl stop nginx",
    "aws ec2 terminate-instances --instance-ids i-123",
    "aws ec2 revoke-security-group-ingress --group-id sg-1 --port 22",
    "aws iam delete-access-key --access-key-id AKIA",
    "gcloud compute instances delete web-1",
    "aws secretsmanager rotate-secret --secret-id prod/db",
])
def test_destructive_shapes(command: str) -> None:
    assert dangerous_reason(command), command
    assert not is_read_only(command)


@pytest.mark.parametrize("command", [
    "kubectl -n web get pods -o wide", "kubectl describe pod web-0", "kubectl logs web-0 -c app",
    "oc get nodes", "aws ec2 describe-instances --instance-ids i-1", "aws iam list-users",
    "gcloud sql instances describe db", "vault kv get secret/app", "systemctl status nginx",
    "journalctl -u nginx --since -1h | grep error", "helm -n web history web",
    "kubectl get pods | grep Crash", "df -h /var",
    "aws logs filter-log-events --log-group-name x", "aws cloudtrail lookup-events --max 5",
    "aws s3 ls s3://bucket", "aws sts get-caller-identity", "kubectl -n x rollout status deploy/y",
])
def test_read_only_commands(command: str) -> None:
    assert is_read_only(command), command
    assert dangerous_reason(command) is None


@pytest.mark.parametrize("command", [
    "kubectl rollout restart deploy/web", "kubectl get secret x -o yaml > /tmp/x",
    "curl -X POST http://x/reload", "kubectl exec -it web-0 -- sh", "sed -i s/a/b/ f",
])
def test_commands_that_change_something_are_not_read_only(command: str) -> None:
    assert not is_read_only(command)


@pytest.mark.parametrize("text", [
    "Restore from backup", "Delete old indices", "Rotate the leaked credentials",
    "Scale the deployment down to zero", "Drain the node", "Truncate the events table",
    "Revoke the compromised tokens",
])
def test_prose_naming_a_destructive_action(text: str) -> None:
    assert prose_danger(text)


def test_a_disclaimer_is_not_a_risk_marker() -> None:
    assert risk_marker("⚠️ Disclaimer: this playbook is a template; adapt it") is None
    assert prose_danger("⚠️ Disclaimer: this playbook is a template; adapt it") is None
    assert risk_marker("⚠️ This step is irreversible") is not None
    assert prose_danger("Check pod status") is None
