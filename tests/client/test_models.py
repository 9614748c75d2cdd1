"""Parsing recorded-shape responses (asm-wire 1.3, 2.2, 4.x) into the typed models."""

from __future__ import annotations

import base64

from airflow_sm_provider.client import models as m
from airflow_sm_provider.client.ops_base import root_of
from airflow_sm_provider.client.xmlmap import empty, parse_element, parse_list

HEAD = 'xmlns="http://schemas.microsoft.com/windowsazure" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"'


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def parse(body: str, cls: type) -> object:
    return parse_element(root_of(body.encode()), cls)


def test_operation_in_progress_succeeded_failed() -> None:
    op = parse(
        f"<Operation {HEAD}><ID>977b2d2b-61d3-b0f1-9522-77896459cf7a</ID>"
        "<Status>InProgress</Status></Operation>",
        m.Operation,
    )
    assert isinstance(op, m.Operation)
    assert op.id == "977b2d2b-61d3-b0f1-9522-77896459cf7a"
    # no <Error>: None, as the old SDK's parser gave (``if op.error:`` tells failure); built by hand,
    # an empty OperationError, as the old SDK's Operation() held
    assert op.http_status_code == "" and op.error is None  # the old SDK's text: '' while in progress
    assert m.Operation().error == m.OperationError()
    ok = parse(
        f"<Operation {HEAD}><ID>x</ID><Status>Succeeded</Status>"
        "<HttpStatusCode>200</HttpStatusCode></Operation>",
        m.Operation,
    )
    assert isinstance(ok, m.Operation) and ok.http_status_code == "200"
    failed = parse(
        f"<Operation {HEAD}><ID>x</ID><Status>Failed</Status><HttpStatusCode>409</HttpStatusCode>"
        "<Error><Code>ConflictError</Code><Message>taken</Message></Error></Operation>",
        m.Operation,
    )
    assert isinstance(failed, m.Operation)
    assert failed.error == m.OperationError("ConflictError", "taken")


def test_availability_reason_is_text() -> None:
    free = parse(
        f'<AvailabilityResponse {HEAD}><Result>true</Result><Reason i:nil="true"/></AvailabilityResponse>',
        m.AvailabilityResponse,
    )
    assert free == m.AvailabilityResponse(True, "")
    taken = parse(
        f"<AvailabilityResponse {HEAD}><Result>false</Result>"
        "<Reason>A hosted service with the specified name "
        "already exists.</Reason></AvailabilityResponse>",
        m.AvailabilityResponse,
    )
    assert isinstance(taken, m.AvailabilityResponse)
    assert taken.result is False and taken.reason.startswith("A hosted service")


def test_hosted_service_with_embedded_deployment() -> None:
    body = (
        f"<HostedService {HEAD}><Url>https://x/svc</Url><ServiceName>svc</ServiceName><HostedServiceProperties>"
        f'<Description i:nil="true"/><Location>West US</Location><Label>{b64("my label")}</Label>'
        "<Status>Created</Status><DateCreated>2015-06-30T00:00:00Z</DateCreated>"
        "<DateLastModified>2015-06-30T00:00:00Z</DateLastModified><ExtendedProperties><ExtendedProperty>"
        "<Name>ResourceGroup</Name><Value>svc</Value></ExtendedProperty></ExtendedProperties>"
        "</HostedServiceProperties><Deployments><Deployment><Name>v1</Name><DeploymentSlot>Production"
        "</DeploymentSlot><Status>Running</Status></Deployment></Deployments></HostedService>"
    )
    hs = parse(body, m.HostedService)
    assert isinstance(hs, m.HostedService)
    props = hs.hosted_service_properties
    assert props.label == "my label" and props.description == "" and props.affinity_group == ""
    assert "Location: " + props.location == "Location: West US"
    assert props.extended_properties == {"ResourceGroup": "svc"}
    assert [d.name for d in hs.deployments] == ["v1"]


def test_deployment_recorded_shape() -> None:
    body = (
        f"<Deployment {HEAD}><Name>dep</Name><DeploymentSlot>Production</DeploymentSlot>"
        f"<PrivateID>{'a' * 32}</PrivateID><Status>Running</Status><Label>{b64('vm')}</Label>"
        f"<Url>http://svc.cloudapp.net/</Url><Configuration>{b64('<cfg/>')}</Configuration><RoleInstanceList>"
        "<RoleInstance><RoleName>vm</RoleName><InstanceName>vm</InstanceName><InstanceStatus>ReadyRole"
        "</InstanceStatus><InstanceUpgradeDomain>0</InstanceUpgradeDomain><InstanceFaultDomain>1"
        "</InstanceFaultDomain><InstanceSize>Small</InstanceSize><InstanceStateDetails/><IpAddress>10.0.0.4"
        "</IpAddress><InstanceEndpoints><InstanceEndpoint><Name>ssh</Name><Vip>1.2.3.4</Vip><PublicPort>22"
        "</PublicPort><LocalPort>22</LocalPort><Protocol>tcp</Protocol></InstanceEndpoint></InstanceEndpoints>"
        "<PowerState>Started</PowerState><HostName>host</HostName><GuestAgentStatus><x/></GuestAgentStatus>"
        "</RoleInstance></RoleInstanceList><UpgradeDomainCount>1</UpgradeDomainCount><RoleList>"
        '<Role i:type="PersistentVMRole"><RoleName>vm</RoleName><OsVersion/>'
        "<RoleType>PersistentVMRole</RoleType>"
        '<ConfigurationSets><ConfigurationSet i:type="NetworkConfigurationSet"><ConfigurationSetType>'
        "NetworkConfiguration</ConfigurationSetType><InputEndpoints><InputEndpoint><LocalPort>22</LocalPort>"
        "<Name>ssh</Name><Port>22</Port><Protocol>tcp</Protocol><Vip>1.2.3.4</Vip></InputEndpoint>"
        "</InputEndpoints><SubnetNames/></ConfigurationSet></ConfigurationSets><DataVirtualHardDisks/>"
        "<OSVirtualHardDisk><HostCaching>ReadWrite</HostCaching><DiskName>d</DiskName><MediaLink>https://a/v.vhd"
        "</MediaLink><SourceImageName>img</SourceImageName><OS>Linux</OS><IOType>Standard</IOType>"
        "</OSVirtualHardDisk><RoleSize>Small</RoleSize></Role></RoleList><SdkVersion/><Locked>false</Locked>"
        "<RollbackAllowed>false</RollbackAllowed><CreatedTime>2015-06-30T00:00:00Z</CreatedTime>"
        "<LastModifiedTime>2015-06-30T00:00:00Z</LastModifiedTime><ExtendedProperties/>"
        "<PersistentVMDowntime><StartTime>a</StartTime><EndTime>b</EndTime><Status>PersistentVMUpdateScheduled"
        "</Status></PersistentVMDowntime><VirtualIPs><VirtualIP><Address>1.2.3.4</Address><IsDnsProgrammed>true"
        "</IsDnsProgrammed><Name>c</Name></VirtualIP></VirtualIPs><InternalDnsSuffix>x.internal</InternalDnsSuffix>"
        "<LoadBalancers/></Deployment>"
    )
    dep = parse(body, m.Deployment)
    assert isinstance(dep, m.Deployment)
    assert dep.label == "vm" and dep.configuration == "<cfg/>" and dep.upgrade_domain_count == "1"
    inst = dep.role_instance_list[0]
    assert inst.instance_status == "ReadyRole" and inst.instance_fault_domain == 1
    assert inst.instance_endpoints[0].public_port == "22" and inst.instance_error_code == ""
    role = dep.role_list[0]
    net = role.configuration_sets[0]
    assert isinstance(net, m.ConfigurationSet)
    assert net.input_endpoints[0].vip == "1.2.3.4" and net.subnet_names == []
    assert role.os_virtual_hard_disk is not None and role.os_virtual_hard_disk.io_type == "Standard"
    assert dep.persistent_vm_downtime_info == m.PersistentVMDowntime("a", "b", "PersistentVMUpdateScheduled")
    assert dep.virtual_ips[0].is_dns_programmed is True
    assert dep.upgrade_status is None and dep.locked is False


def test_missing_elements_get_old_sdk_defaults() -> None:
    dep = parse(f"<Deployment {HEAD}/>", m.Deployment)
    assert isinstance(dep, m.Deployment)
    assert dep.name == "" and dep.role_instance_list == [] and dep.upgrade_domain_count == ""
    assert dep.locked is False and dep.extended_properties == {}
    hs = empty(m.HostedService)
    assert hs.hosted_service_properties.location == ""
    img = parse(f"<OSImage {HEAD}><Name>n</Name></OSImage>", m.OSImage)
    assert isinstance(img, m.OSImage)
    assert "Media link: " + img.media_link == "Media link: "


def test_unknown_and_foreign_namespace_elements_are_tolerated() -> None:
    body = (
        f'<Subscription {HEAD} xmlns:x="urn:other"><SubscriptionID>s</SubscriptionID><Future>1</Future>'
        "<!-- a comment --><x:SubscriptionName>named</x:SubscriptionName><MaxCoreCount>bogus</MaxCoreCount>"
        "</Subscription>"
    )
    sub = parse(body, m.Subscription)
    assert isinstance(sub, m.Subscription)
    assert sub.subscription_id == "s" and sub.subscription_name == "named" and sub.max_core_count == 0


def test_lists_os_catalogue_and_locations() -> None:
    body = (
        f"<OperatingSystemFamilies {HEAD}><OperatingSystemFamily><Name>2</Name>"
        f"<Label>{b64('Windows Server 2008 R2')}</Label><OperatingSystems><OperatingSystem>"
        f"<Version>WA-GUEST-OS-2.1</Version><Label>{b64('OS 2.1')}</Label>"
        "<IsDefault>true</IsDefault><IsActive>true</IsActive></OperatingSystem></OperatingSystems>"
        "</OperatingSystemFamily></OperatingSystemFamilies>"
    )
    fams = parse_list(root_of(body.encode()), m.OperatingSystemFamily)
    assert fams[0].label == "Windows Server 2008 R2" and fams[0].operating_systems[0].label == "OS 2.1"
    assert fams[0].operating_systems[0].is_active is True
    locs = (
        f"<Locations {HEAD}><Location><Name>West India</Name><DisplayName>West India</DisplayName>"
        "<AvailableServices><AvailableService>None</AvailableService></AvailableServices><ComputeCapabilities>"
        "<WebWorkerRoleSizes/><VirtualMachinesRoleSizes/></ComputeCapabilities></Location></Locations>"
    )
    parsed = parse_list(root_of(locs.encode()), m.Location)
    assert parsed[0].available_services == ["None"]
    assert parsed[0].compute_capabilities.web_worker_role_sizes == []
    assert parsed[0].storage_capabilities.storage_account_types == []


def test_storage_keys_and_properties() -> None:
    body = (
        f"<StorageService {HEAD}><Url>u</Url><ServiceName>acct</ServiceName><StorageServiceProperties>"
        f'<Description i:nil="true"/><Location>West US</Location><Label>{b64("lbl")}</Label><Status>Created'
        "</Status><Endpoints><Endpoint>https://acct.blob.core.windows.net/</Endpoint></Endpoints>"
        "<GeoSecondaryRegion/><AccountType>Standard_LRS</AccountType></StorageServiceProperties>"
        "<StorageServiceKeys><Primary>p</Primary><Secondary>s</Secondary></StorageServiceKeys></StorageService>"
    )
    acct = parse(body, m.StorageService)
    assert isinstance(acct, m.StorageService)
    props = acct.storage_service_properties
    assert props.label == "lbl" and props.endpoints == ["https://acct.blob.core.windows.net/"]
    assert props.geo_secondary_region == "" and acct.storage_service_keys.primary == "p"
    assert "p" not in repr(acct.storage_service_keys).replace("primary", "")


def test_label_that_is_not_base64_is_kept() -> None:
    hs = parse(
        f"<HostedServiceProperties {HEAD}><Label>not base64!</Label></HostedServiceProperties>",
        m.HostedServiceProperties,
    )
    assert isinstance(hs, m.HostedServiceProperties) and hs.label == "not base64!"


def test_constructors_accept_old_sdk_positional_arguments() -> None:
    linux = m.LinuxConfigurationSet("myhostname", "myuser", "mypassword", True)
    assert (linux.host_name, linux.user_name, linux.user_password) == ("myhostname", "myuser", "mypassword")
    assert linux.disable_ssh_password_authentication is True
    assert linux.configuration_set_type == "LinuxProvisioningConfiguration"
    disk = m.OSVirtualHardDisk("image", "https://a/b.vhd")
    assert (disk.source_image_name, disk.media_link) == ("image", "https://a/b.vhd")
    ep = m.ConfigurationSetInputEndpoint("ssh", "tcp", "22", "22")
    assert (ep.name, ep.protocol, ep.port, ep.local_port) == ("ssh", "tcp", "22", "22")
    win = m.WindowsConfigurationSet("pc", "pw")
    assert win.computer_name == "pc" and "pw" not in repr(win)
