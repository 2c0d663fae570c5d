"""network_check: the Markdown report and its Mermaid diagram, the documented code table, and describe calls that do
not grow with the number of subnets."""

import re
from collections import Counter
from pathlib import Path

import pytest
from support.network_check_helpers import (
    build_network,
    codes,
    create_nat,
    create_subnet,
    create_table,
    private_subnets,
    run_check,
    task_params,
)

from ansible_collections.cloudreactor.aws.plugins.module_utils._audit import report
from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.findings import CODES, markdown_table

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "network-check-findings.md"
NODE_ID = re.compile(r"^[A-Za-z0-9_]+$")


# -- the report ------------------------------------------------------------------------------------------------------


def parse_markdown(text):
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark").enable("table").parse(text)


def tables(tokens):
    """Each table as a list of rows (the header row first), each row a list of cell texts."""
    found, rows, row = [], None, None
    for token in tokens:
        if token.type == "table_open":
            rows = []
        elif token.type == "tr_open":
            row = []
        elif token.type == "inline" and row is not None:
            row.append(token.content)
        elif token.type == "tr_close":
            rows.append(row)
            row = None
        elif token.type == "table_close":
            found.append(rows)
    return found


def mermaid_blocks(tokens):
    return [token.content for token in tokens if token.type == "fence" and token.info.strip() == "mermaid"]


def check_mermaid(source):
    """Structural checks of a flowchart: header, node ids, edges between declared nodes, balanced subgraphs."""
    lines = [line.strip() for line in source.strip().splitlines()]
    assert lines[0] == "flowchart LR"
    declared, edges = set(), []
    depth = 0
    for line in lines[1:]:
        if line.startswith("subgraph "):
            depth += 1
        elif line == "end":
            depth -= 1
        elif " --> " in line or " -.-> " in line or "-->|" in line or "-.->|" in line:
            source_id, target_id = line.split()[0], line.split()[-1]
            edges.append((source_id, target_id))
        elif line.startswith(("classDef ", "class ", "linkStyle ")):
            continue
        else:
            node = re.match(r"^([A-Za-z0-9_]+)[\[\(\{]", line)
            assert node, f"unexpected Mermaid line: {line}"
            declared.add(node.group(1))
    assert depth == 0
    assert all(NODE_ID.match(node) for node in declared)
    assert all(a in declared and b in declared for a, b in edges), edges
    return declared, edges, lines


def broken_network(ec2):
    net = build_network(ec2)
    zone_a, zone_b = net.zones
    ec2.delete_nat_gateway(NatGatewayId=net.nat[zone_a])
    bare = create_subnet(ec2, net.vpc, "10.0.150.0/24", zone_b, name="b private spare")
    create_table(ec2, net.vpc, [bare])
    return net, bare


def test_report_has_findings_table_subnets_and_a_mermaid_diagram_with_broken_hops(aws, ec2, tmp_path):
    net, bare = broken_network(ec2)
    path = tmp_path / "report.md"

    result = run_check(aws, **task_params(net, [*private_subnets(net), bare], report_path=str(path)))

    assert result["report_path"] == str(path)
    text = path.read_text(encoding="utf-8")
    assert codes(result) == {"ROUTE_DEAD_NAT", "NO_INTERNET_FOR_CLOUDREACTOR"}
    tokens = parse_markdown(text)
    findings_table, subnets_table, cost_table = tables(tokens)
    assert findings_table[0] == ["Severity", "Code", "Resource", "Subnets", "Message", "Fix"]
    assert len(findings_table) == 1 + len(result["findings"])
    assert {row[1].strip("`") for row in findings_table[1:]} == codes(result)
    assert [row[0] for row in subnets_table[1:]] == [*private_subnets(net), bare]
    assert cost_table[-1][0] == "**Total**"
    for code in codes(result):
        assert code in text

    (diagram,) = mermaid_blocks(tokens)
    declared, edges, lines = check_mermaid(diagram)
    dead_nat = "n_" + net.nat[net.zones[0]].replace("-", "_")
    assert dead_nat in declared
    broken_class = next(line for line in lines if line.startswith("class ") and line.endswith(" broken"))
    assert dead_nat in broken_class.split()[1].split(",")
    link_style = next(line for line in lines if line.startswith("linkStyle "))
    broken_links = [int(index) for index in link_style.split()[1].split(",")]
    assert any(edges[index][1] == dead_nat for index in broken_links)
    healthy_nat = "n_" + net.nat[net.zones[1]].replace("-", "_")
    assert not any(edges[index][1] == healthy_nat for index in broken_links)


def test_report_of_a_healthy_network_has_no_broken_hops(aws, ec2, tmp_path):
    net = build_network(ec2)
    path = tmp_path / "ok.md"

    result = run_check(aws, check_mode=True, vpc_id=net.vpc, report_path=str(path))

    assert result["changed"] is False  # written in check mode too: the report is the audit's output
    text = path.read_text(encoding="utf-8")
    assert "No findings" in text and "**OK**" in text
    (diagram,) = mermaid_blocks(parse_markdown(text))
    declared, edges, lines = check_mermaid(diagram)
    assert not any(line.startswith("linkStyle") or line.endswith(" broken") for line in lines)
    assert "internet" in declared
    assert ("n_" + net.igw.replace("-", "_"), "internet") in edges


# -- the code table ----------------------------------------------------------------------------------------------------


def test_docs_table_is_the_code_table():
    text = DOC.read_text(encoding="utf-8")
    assert markdown_table() in text, "regenerate the table in docs/network-check-findings.md from findings.py"
    documented = re.findall(r"^\| `([A-Z0-9_]+)` \|", text, flags=re.MULTILINE)
    assert sorted(documented) == sorted(CODES), "every code documented once, no stale rows"
    assert all(code.severity in ("error", "warning", "info") for code in CODES.values())


def test_every_code_has_an_emulator_test_that_asserts_it():
    sources = "".join(path.read_text(encoding="utf-8") for path in Path(__file__).parent.glob("test_network_check*.py"))
    asserted = set()
    for call in re.findall(r"assert_only\(([^)]*)\)", sources):
        asserted.update(re.findall(r'"([A-Z][A-Z0-9_]+)"', call))
    assert sorted(set(CODES) - asserted) == []


# -- describe calls do not grow with the number of subnets --------------------------------------------------------


def fan_out_network(ec2, cidr_prefix, subnet_count):
    """One public subnet with the NAT gateway, and ``subnet_count - 1`` private subnets, each with its own route table
    to the NAT, alternating between two zones."""
    vpc = ec2.create_vpc(CidrBlock=f"{cidr_prefix}.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public = create_subnet(ec2, vpc, f"{cidr_prefix}.0.0/24", "us-east-1a")
    create_table(ec2, vpc, [public], {"GatewayId": igw})
    nat = create_nat(ec2, public)
    for index in range(1, subnet_count):
        subnet = create_subnet(ec2, vpc, f"{cidr_prefix}.{index}.0/24", ("us-east-1a", "us-east-1b")[index % 2])
        create_table(ec2, vpc, [subnet], {"NatGatewayId": nat})
    return vpc


def test_describe_calls_are_the_same_for_2_and_60_subnets(aws, ec2):
    small = fan_out_network(ec2, "10.0", 2)
    large = fan_out_network(ec2, "10.1", 60)

    with aws.recording() as small_run:
        small_result = run_check(aws, vpc_id=small, fail_on="never")
    with aws.recording() as large_run:
        large_result = run_check(aws, vpc_id=large, fail_on="never")

    assert (small_result["summary"]["subnets"], large_result["summary"]["subnets"]) == (2, 60)
    assert Counter(large_run.reads) == Counter(small_run.reads)
    assert len(large_run.reads) <= 12
    assert large_run.mutations == [] and small_run.mutations == []


def test_large_networks_are_drawn_in_groups_within_mermaid_limits(aws, ec2, tmp_path, monkeypatch):
    """Mermaid refuses more than 500 edges; past the report's budget task subnets are drawn per zone and path."""
    monkeypatch.setattr(report, "MAX_DETAILED_EDGES", 20)
    vpc = fan_out_network(ec2, "10.0", 60)
    path = tmp_path / "large.md"

    result = run_check(aws, vpc_id=vpc, fail_on="never", report_path=str(path))

    (diagram,) = mermaid_blocks(parse_markdown(path.read_text(encoding="utf-8")))
    declared, edges, lines = check_mermaid(diagram)
    assert len(edges) <= 20
    labels = " ".join(lines)
    # Private subnets alternate zones from index 1: 30 in us-east-1b, 29 in us-east-1a, each with its own table.
    assert "30 private_nat subnets<br/>30 route tables" in labels
    assert "29 private_nat subnets<br/>29 route tables" in labels
    # The NAT gateway's subnet keeps its own node: the NAT's "sits in" edge leads to it.
    nat_subnet = next(hop["id"] for hop in result["subnets"][-1]["egress_path"][1:] if hop["type"] == "subnet")
    assert "n_" + nat_subnet.replace("-", "_") in declared
