/**
 * The protobuf messages the simulated kube-apiserver decodes, as proto2 sources that protobufjs
 * parses at load time. Field numbers and names are those of the real generated.proto files
 * (k8s.io/api and k8s.io/apimachinery v0.32.0); only the messages typed clients send as request
 * bodies are kept, and a field whose message type is not listed here is left out (the decoder then
 * skips it as unknown and logs that it did). Fields added after 1.32 (e.g. PodStatus
 * observedGeneration, sent by client-go ≥0.33) are skipped too, as a 1.32 apiserver drops them.
 *
 * Protobuf cannot say how Go marshals a field to JSON, so two custom options carry what the Go
 * struct tags say:
 * - `(go)` — `"ptr"`: a Go pointer, emitted whenever it was set, even to a zero value;
 *   `"always"`: no `omitempty`, so a zero value (or `null` for a nil slice, map or byte slice) is
 *   emitted; `"inline"`: an embedded struct whose fields appear in the parent object. Without the
 *   option a scalar, repeated field or map is `omitempty`, and a message field is a Go struct value,
 *   which `omitempty` never drops.
 * - `(json)` — the JSON name where it differs from the protobuf field name.
 */

const RUNTIME = `
syntax = "proto2";
package k8s.io.apimachinery.pkg.runtime;

message TypeMeta {
  optional string apiVersion = 1;
  optional string kind = 2;
}

message Unknown {
  optional TypeMeta typeMeta = 1;
  optional bytes raw = 2;
  optional string contentEncoding = 3;
  optional string contentType = 4;
}
`;

const INTSTR = `
syntax = "proto2";
package k8s.io.apimachinery.pkg.util.intstr;

message IntOrString {
  optional int64 type = 1;
  optional int32 intVal = 2;
  optional string strVal = 3;
}
`;

const RESOURCE = `
syntax = "proto2";
package k8s.io.apimachinery.pkg.api.resource;

message Quantity {
  optional string string = 1;
}
`;

const META_V1 = `
syntax = "proto2";
package k8s.io.apimachinery.pkg.apis.meta.v1;

message ObjectMeta {
  optional string name = 1;
  optional string generateName = 2;
  optional string namespace = 3;
  optional string selfLink = 4;
  optional string uid = 5;
  optional string resourceVersion = 6;
  optional int64 generation = 7;
  optional Time creationTimestamp = 8;
  optional Time deletionTimestamp = 9 [(go) = "ptr"];
  optional int64 deletionGracePeriodSeconds = 10 [(go) = "ptr"];
  map<string, string> labels = 11;
  map<string, string> annotations = 12;
  repeated OwnerReference ownerReferences = 13;
  repeated string finalizers = 14;
  repeated ManagedFieldsEntry managedFields = 17;
}

message OwnerReference {
  optional string apiVersion = 5 [(go) = "always"];
  optional string kind = 1 [(go) = "always"];
  optional string name = 3 [(go) = "always"];
  optional string uid = 4 [(go) = "always"];
  optional bool controller = 6 [(go) = "ptr"];
  optional bool blockOwnerDeletion = 7 [(go) = "ptr"];
}

message ManagedFieldsEntry {
  optional string manager = 1;
  optional string operation = 2;
  optional string apiVersion = 3;
  optional Time time = 4 [(go) = "ptr"];
  optional string fieldsType = 6;
  optional FieldsV1 fieldsV1 = 7 [(go) = "ptr"];
  optional string subresource = 8;
}

message FieldsV1 {
  optional bytes Raw = 1 [(go) = "always"];
}

message Time {
  optional int64 seconds = 1;
  optional int32 nanos = 2;
}

message DeleteOptions {
  optional int64 gracePeriodSeconds = 1 [(go) = "ptr"];
  optional Preconditions preconditions = 2 [(go) = "ptr"];
  optional bool orphanDependents = 3 [(go) = "ptr"];
  optional string propagationPolicy = 4 [(go) = "ptr"];
  repeated string dryRun = 5;
  optional bool ignoreStoreReadErrorWithClusterBreakingPotential = 6 [(go) = "ptr"];
}

message Preconditions {
  optional string uid = 1 [(go) = "ptr"];
  optional string resourceVersion = 2 [(go) = "ptr"];
}

message LabelSelector {
  map<string, string> matchLabels = 1;
  repeated LabelSelectorRequirement matchExpressions = 2;
}

message LabelSelectorRequirement {
  optional string key = 1 [(go) = "always"];
  optional string operator = 2 [(go) = "always"];
  repeated string values = 3;
}

message FieldSelectorRequirement {
  optional string key = 1 [(go) = "always"];
  optional string operator = 2 [(go) = "always"];
  repeated string values = 3;
}
`;

const CORE_V1 = `
syntax = "proto2";
package k8s.io.api.core.v1;

message Namespace {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional NamespaceSpec spec = 2;
  optional NamespaceStatus status = 3;
}

message NamespaceSpec {
  repeated string finalizers = 1;
}

message NamespaceStatus {
  optional string phase = 1;
  repeated NamespaceCondition conditions = 2;
}

message NamespaceCondition {
  optional string type = 1 [(go) = "always"];
  optional string status = 2 [(go) = "always"];
  optional k8s.io.apimachinery.pkg.apis.meta.v1.Time lastTransitionTime = 4;
  optional string reason = 5;
  optional string message = 6;
}

message Secret {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional bool immutable = 5 [(go) = "ptr"];
  map<string, bytes> data = 2;
  map<string, string> stringData = 4;
  optional string type = 3;
}

message ConfigMap {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional bool immutable = 4 [(go) = "ptr"];
  map<string, string> data = 2;
  map<string, bytes> binaryData = 3;
}

message ServiceAccount {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  repeated ObjectReference secrets = 2;
  repeated LocalObjectReference imagePullSecrets = 3;
  optional bool automountServiceAccountToken = 4 [(go) = "ptr"];
}

message ObjectReference {
  optional string kind = 1;
  optional string namespace = 2;
  optional string name = 3;
  optional string uid = 4;
  optional string apiVersion = 5;
  optional string resourceVersion = 6;
  optional string fieldPath = 7;
}

message LocalObjectReference {
  optional string name = 1;
}

message Pod {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional PodSpec spec = 2;
  optional PodStatus status = 3;
}

message PodSpec {
  repeated Volume volumes = 1;
  repeated Container initContainers = 20;
  repeated Container containers = 2 [(go) = "always"];
  optional string restartPolicy = 3;
  optional int64 terminationGracePeriodSeconds = 4 [(go) = "ptr"];
  optional int64 activeDeadlineSeconds = 5 [(go) = "ptr"];
  optional string dnsPolicy = 6;
  map<string, string> nodeSelector = 7;
  optional string serviceAccountName = 8;
  optional string serviceAccount = 9;
  optional bool automountServiceAccountToken = 21 [(go) = "ptr"];
  optional string nodeName = 10;
  optional bool hostNetwork = 11;
  optional bool hostPID = 12;
  optional bool hostIPC = 13;
  optional bool shareProcessNamespace = 27 [(go) = "ptr"];
  optional PodSecurityContext securityContext = 14 [(go) = "ptr"];
  repeated LocalObjectReference imagePullSecrets = 15;
  optional string hostname = 16;
  optional string subdomain = 17;
  optional string schedulerName = 19;
  repeated Toleration tolerations = 22;
  repeated HostAlias hostAliases = 23;
  optional string priorityClassName = 24;
  optional int32 priority = 25 [(go) = "ptr"];
  optional string runtimeClassName = 29 [(go) = "ptr"];
  optional bool enableServiceLinks = 30 [(go) = "ptr"];
  optional string preemptionPolicy = 31 [(go) = "ptr"];
  map<string, k8s.io.apimachinery.pkg.api.resource.Quantity> overhead = 32;
  optional bool setHostnameAsFQDN = 35 [(go) = "ptr"];
  optional PodOS os = 36 [(go) = "ptr"];
  optional bool hostUsers = 37 [(go) = "ptr"];
  optional ResourceRequirements resources = 40 [(go) = "ptr"];
}

message PodStatus {
  optional string phase = 1;
  repeated PodCondition conditions = 2;
  optional string message = 3;
  optional string reason = 4;
  optional string nominatedNodeName = 11;
  optional string hostIP = 5;
  repeated HostIP hostIPs = 16;
  optional string podIP = 6;
  repeated PodIP podIPs = 12;
  optional k8s.io.apimachinery.pkg.apis.meta.v1.Time startTime = 7 [(go) = "ptr"];
  optional string qosClass = 9;
  optional string resize = 14;
}

message PodCondition {
  optional string type = 1 [(go) = "always"];
  optional string status = 2 [(go) = "always"];
  optional k8s.io.apimachinery.pkg.apis.meta.v1.Time lastProbeTime = 3;
  optional k8s.io.apimachinery.pkg.apis.meta.v1.Time lastTransitionTime = 4;
  optional string reason = 5;
  optional string message = 6;
}

message PodIP {
  optional string ip = 1 [(go) = "always"];
}

message HostIP {
  optional string ip = 1 [(go) = "always"];
}

message Container {
  optional string name = 1 [(go) = "always"];
  optional string image = 2;
  repeated string command = 3;
  repeated string args = 4;
  optional string workingDir = 5;
  repeated ContainerPort ports = 6;
  repeated EnvFromSource envFrom = 19;
  repeated EnvVar env = 7;
  optional ResourceRequirements resources = 8;
  optional string restartPolicy = 24 [(go) = "ptr"];
  repeated VolumeMount volumeMounts = 9;
  optional Probe livenessProbe = 10 [(go) = "ptr"];
  optional Probe readinessProbe = 11 [(go) = "ptr"];
  optional Probe startupProbe = 22 [(go) = "ptr"];
  optional Lifecycle lifecycle = 12 [(go) = "ptr"];
  optional string terminationMessagePath = 13;
  optional string terminationMessagePolicy = 20;
  optional string imagePullPolicy = 14;
  optional SecurityContext securityContext = 15 [(go) = "ptr"];
  optional bool stdin = 16;
  optional bool stdinOnce = 17;
  optional bool tty = 18;
}

message ContainerPort {
  optional string name = 1;
  optional int32 hostPort = 2;
  optional int32 containerPort = 3 [(go) = "always"];
  optional string protocol = 4;
  optional string hostIP = 5;
}

message EnvVar {
  optional string name = 1 [(go) = "always"];
  optional string value = 2;
  optional EnvVarSource valueFrom = 3 [(go) = "ptr"];
}

message EnvVarSource {
  optional ObjectFieldSelector fieldRef = 1 [(go) = "ptr"];
  optional ResourceFieldSelector resourceFieldRef = 2 [(go) = "ptr"];
  optional ConfigMapKeySelector configMapKeyRef = 3 [(go) = "ptr"];
  optional SecretKeySelector secretKeyRef = 4 [(go) = "ptr"];
}

message ObjectFieldSelector {
  optional string apiVersion = 1;
  optional string fieldPath = 2 [(go) = "always"];
}

message ResourceFieldSelector {
  optional string containerName = 1;
  optional string resource = 2 [(go) = "always"];
  optional k8s.io.apimachinery.pkg.api.resource.Quantity divisor = 3;
}

message ConfigMapKeySelector {
  optional LocalObjectReference localObjectReference = 1 [(go) = "inline"];
  optional string key = 2 [(go) = "always"];
  optional bool optional = 3 [(go) = "ptr"];
}

message SecretKeySelector {
  optional LocalObjectReference localObjectReference = 1 [(go) = "inline"];
  optional string key = 2 [(go) = "always"];
  optional bool optional = 3 [(go) = "ptr"];
}

message EnvFromSource {
  optional string prefix = 1;
  optional ConfigMapEnvSource configMapRef = 2 [(go) = "ptr"];
  optional SecretEnvSource secretRef = 3 [(go) = "ptr"];
}

message ConfigMapEnvSource {
  optional LocalObjectReference localObjectReference = 1 [(go) = "inline"];
  optional bool optional = 2 [(go) = "ptr"];
}

message SecretEnvSource {
  optional LocalObjectReference localObjectReference = 1 [(go) = "inline"];
  optional bool optional = 2 [(go) = "ptr"];
}

message ResourceRequirements {
  map<string, k8s.io.apimachinery.pkg.api.resource.Quantity> limits = 1;
  map<string, k8s.io.apimachinery.pkg.api.resource.Quantity> requests = 2;
  repeated ResourceClaim claims = 3;
}

message ResourceClaim {
  optional string name = 1 [(go) = "always"];
  optional string request = 2;
}

message VolumeMount {
  optional string name = 1 [(go) = "always"];
  optional bool readOnly = 2;
  optional string recursiveReadOnly = 7 [(go) = "ptr"];
  optional string mountPath = 3 [(go) = "always"];
  optional string subPath = 4;
  optional string mountPropagation = 5 [(go) = "ptr"];
  optional string subPathExpr = 6;
}

message Volume {
  optional string name = 1 [(go) = "always"];
  optional VolumeSource volumeSource = 2 [(go) = "inline"];
}

message VolumeSource {
  optional HostPathVolumeSource hostPath = 1 [(go) = "ptr"];
  optional EmptyDirVolumeSource emptyDir = 2 [(go) = "ptr"];
  optional SecretVolumeSource secret = 6 [(go) = "ptr"];
  optional PersistentVolumeClaimVolumeSource persistentVolumeClaim = 10 [(go) = "ptr"];
  optional DownwardAPIVolumeSource downwardAPI = 16 [(go) = "ptr"];
  optional ConfigMapVolumeSource configMap = 19 [(go) = "ptr"];
  optional ProjectedVolumeSource projected = 26 [(go) = "ptr"];
}

message HostPathVolumeSource {
  optional string path = 1 [(go) = "always"];
  optional string type = 2 [(go) = "ptr"];
}

message EmptyDirVolumeSource {
  optional string medium = 1;
  optional k8s.io.apimachinery.pkg.api.resource.Quantity sizeLimit = 2 [(go) = "ptr"];
}

message SecretVolumeSource {
  optional string secretName = 1;
  repeated KeyToPath items = 2;
  optional int32 defaultMode = 3 [(go) = "ptr"];
  optional bool optional = 4 [(go) = "ptr"];
}

message ConfigMapVolumeSource {
  optional LocalObjectReference localObjectReference = 1 [(go) = "inline"];
  repeated KeyToPath items = 2;
  optional int32 defaultMode = 3 [(go) = "ptr"];
  optional bool optional = 4 [(go) = "ptr"];
}

message KeyToPath {
  optional string key = 1 [(go) = "always"];
  optional string path = 2 [(go) = "always"];
  optional int32 mode = 3 [(go) = "ptr"];
}

message Toleration {
  optional string key = 1;
  optional string operator = 2;
  optional string value = 3;
  optional string effect = 4;
  optional int64 tolerationSeconds = 5 [(go) = "ptr"];
}

message SecurityContext {
  optional Capabilities capabilities = 1 [(go) = "ptr"];
  optional bool privileged = 2 [(go) = "ptr"];
  optional int64 runAsUser = 4 [(go) = "ptr"];
  optional int64 runAsGroup = 8 [(go) = "ptr"];
  optional bool runAsNonRoot = 5 [(go) = "ptr"];
  optional bool readOnlyRootFilesystem = 6 [(go) = "ptr"];
  optional bool allowPrivilegeEscalation = 7 [(go) = "ptr"];
  optional string procMount = 9 [(go) = "ptr"];
  optional SeccompProfile seccompProfile = 11 [(go) = "ptr"];
}

message Capabilities {
  repeated string add = 1;
  repeated string drop = 2;
}

message PodSecurityContext {
  optional int64 runAsUser = 2 [(go) = "ptr"];
  optional int64 runAsGroup = 6 [(go) = "ptr"];
  optional bool runAsNonRoot = 3 [(go) = "ptr"];
  repeated int64 supplementalGroups = 4;
  optional string supplementalGroupsPolicy = 12 [(go) = "ptr"];
  optional int64 fsGroup = 5 [(go) = "ptr"];
  optional string fsGroupChangePolicy = 9 [(go) = "ptr"];
  optional SeccompProfile seccompProfile = 10 [(go) = "ptr"];
  optional string seLinuxChangePolicy = 13 [(go) = "ptr"];
}

message SeccompProfile {
  optional string type = 1 [(go) = "always"];
  optional string localhostProfile = 2 [(go) = "ptr"];
}

message PodOS {
  optional string name = 1 [(go) = "always"];
}

message HostAlias {
  optional string ip = 1 [(go) = "always"];
  repeated string hostnames = 2;
}

message Probe {
  optional ProbeHandler handler = 1 [(go) = "inline"];
  optional int32 initialDelaySeconds = 2;
  optional int32 timeoutSeconds = 3;
  optional int32 periodSeconds = 4;
  optional int32 successThreshold = 5;
  optional int32 failureThreshold = 6;
  optional int64 terminationGracePeriodSeconds = 7 [(go) = "ptr"];
}

message ProbeHandler {
  optional ExecAction exec = 1 [(go) = "ptr"];
  optional HTTPGetAction httpGet = 2 [(go) = "ptr"];
  optional TCPSocketAction tcpSocket = 3 [(go) = "ptr"];
  optional GRPCAction grpc = 4 [(go) = "ptr"];
}

message ExecAction {
  repeated string command = 1;
}

message HTTPGetAction {
  optional string path = 1;
  optional k8s.io.apimachinery.pkg.util.intstr.IntOrString port = 2;
  optional string host = 3;
  optional string scheme = 4;
  repeated HTTPHeader httpHeaders = 5;
}

message HTTPHeader {
  optional string name = 1 [(go) = "always"];
  optional string value = 2 [(go) = "always"];
}

message TCPSocketAction {
  optional k8s.io.apimachinery.pkg.util.intstr.IntOrString port = 1;
  optional string host = 2;
}

message GRPCAction {
  optional int32 port = 1 [(go) = "always"];
  optional string service = 2 [(go) = "ptr"];
}

message Lifecycle {
  optional LifecycleHandler postStart = 1 [(go) = "ptr"];
  optional LifecycleHandler preStop = 2 [(go) = "ptr"];
}

message LifecycleHandler {
  optional ExecAction exec = 1 [(go) = "ptr"];
  optional HTTPGetAction httpGet = 2 [(go) = "ptr"];
  optional TCPSocketAction tcpSocket = 3 [(go) = "ptr"];
  optional SleepAction sleep = 4 [(go) = "ptr"];
}

message SleepAction {
  optional int64 seconds = 1 [(go) = "always"];
}

message ProjectedVolumeSource {
  repeated VolumeProjection sources = 1 [(go) = "always"];
  optional int32 defaultMode = 2 [(go) = "ptr"];
}

message VolumeProjection {
  optional SecretProjection secret = 1 [(go) = "ptr"];
  optional DownwardAPIProjection downwardAPI = 2 [(go) = "ptr"];
  optional ConfigMapProjection configMap = 3 [(go) = "ptr"];
  optional ServiceAccountTokenProjection serviceAccountToken = 4 [(go) = "ptr"];
}

message SecretProjection {
  optional LocalObjectReference localObjectReference = 1 [(go) = "inline"];
  repeated KeyToPath items = 2;
  optional bool optional = 4 [(go) = "ptr"];
}

message ConfigMapProjection {
  optional LocalObjectReference localObjectReference = 1 [(go) = "inline"];
  repeated KeyToPath items = 2;
  optional bool optional = 4 [(go) = "ptr"];
}

message DownwardAPIProjection {
  repeated DownwardAPIVolumeFile items = 1;
}

message DownwardAPIVolumeFile {
  optional string path = 1 [(go) = "always"];
  optional ObjectFieldSelector fieldRef = 2 [(go) = "ptr"];
  optional ResourceFieldSelector resourceFieldRef = 3 [(go) = "ptr"];
  optional int32 mode = 4 [(go) = "ptr"];
}

message DownwardAPIVolumeSource {
  repeated DownwardAPIVolumeFile items = 1;
  optional int32 defaultMode = 2 [(go) = "ptr"];
}

message ServiceAccountTokenProjection {
  optional string audience = 1;
  optional int64 expirationSeconds = 2 [(go) = "ptr"];
  optional string path = 3 [(go) = "always"];
}

message PersistentVolumeClaimVolumeSource {
  optional string claimName = 1 [(go) = "always"];
  optional bool readOnly = 2;
}
`;

const RBAC_V1 = `
syntax = "proto2";
package k8s.io.api.rbac.v1;

message Role {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  repeated PolicyRule rules = 2 [(go) = "always"];
}

message ClusterRole {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  repeated PolicyRule rules = 2 [(go) = "always"];
  optional AggregationRule aggregationRule = 3 [(go) = "ptr"];
}

message AggregationRule {
  repeated k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector clusterRoleSelectors = 1;
}

message PolicyRule {
  repeated string verbs = 1 [(go) = "always"];
  repeated string apiGroups = 2;
  repeated string resources = 3;
  repeated string resourceNames = 4;
  repeated string nonResourceURLs = 5;
}

message RoleBinding {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  repeated Subject subjects = 2;
  optional RoleRef roleRef = 3;
}

message ClusterRoleBinding {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  repeated Subject subjects = 2;
  optional RoleRef roleRef = 3;
}

message Subject {
  optional string kind = 1 [(go) = "always"];
  optional string apiGroup = 2;
  optional string name = 3 [(go) = "always"];
  optional string namespace = 4;
}

message RoleRef {
  optional string apiGroup = 1 [(go) = "always"];
  optional string kind = 2 [(go) = "always"];
  optional string name = 3 [(go) = "always"];
}
`;

const AUTHENTICATION_V1 = `
syntax = "proto2";
package k8s.io.api.authentication.v1;

message SelfSubjectReview {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional SelfSubjectReviewStatus status = 2;
}

message SelfSubjectReviewStatus {
  optional UserInfo userInfo = 1;
}

message UserInfo {
  optional string username = 1;
  optional string uid = 2;
  repeated string groups = 3;
  map<string, ExtraValue> extra = 4;
}

message ExtraValue {
  repeated string items = 1;
}

message TokenRequest {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional TokenRequestSpec spec = 2;
  optional TokenRequestStatus status = 3;
}

message TokenRequestSpec {
  repeated string audiences = 1 [(go) = "always"];
  optional int64 expirationSeconds = 4 [(go) = "ptr"];
  optional BoundObjectReference boundObjectRef = 3 [(go) = "ptr"];
}

message TokenRequestStatus {
  optional string token = 1 [(go) = "always"];
  optional k8s.io.apimachinery.pkg.apis.meta.v1.Time expirationTimestamp = 2;
}

message BoundObjectReference {
  optional string kind = 1;
  optional string apiVersion = 2;
  optional string name = 3;
  optional string uID = 4 [(json) = "uid"];
}
`;

const AUTHORIZATION_V1 = `
syntax = "proto2";
package k8s.io.api.authorization.v1;

message SelfSubjectAccessReview {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional SelfSubjectAccessReviewSpec spec = 2;
  optional SubjectAccessReviewStatus status = 3;
}

message SelfSubjectAccessReviewSpec {
  optional ResourceAttributes resourceAttributes = 1 [(go) = "ptr"];
  optional NonResourceAttributes nonResourceAttributes = 2 [(go) = "ptr"];
}

message ResourceAttributes {
  optional string namespace = 1;
  optional string verb = 2;
  optional string group = 3;
  optional string version = 4;
  optional string resource = 5;
  optional string subresource = 6;
  optional string name = 7;
  optional FieldSelectorAttributes fieldSelector = 8 [(go) = "ptr"];
  optional LabelSelectorAttributes labelSelector = 9 [(go) = "ptr"];
}

message NonResourceAttributes {
  optional string path = 1;
  optional string verb = 2;
}

message FieldSelectorAttributes {
  optional string rawSelector = 1;
  repeated k8s.io.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement requirements = 2;
}

message LabelSelectorAttributes {
  optional string rawSelector = 1;
  repeated k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement requirements = 2;
}

message SubjectAccessReviewStatus {
  optional bool allowed = 1 [(go) = "always"];
  optional bool denied = 4;
  optional string reason = 2;
  optional string evaluationError = 3;
}

message SelfSubjectRulesReview {
  optional k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;
  optional SelfSubjectRulesReviewSpec spec = 2;
  optional SubjectRulesReviewStatus status = 3;
}

message SelfSubjectRulesReviewSpec {
  optional string namespace = 1;
}

message SubjectRulesReviewStatus {
  repeated ResourceRule resourceRules = 1 [(go) = "always"];
  repeated NonResourceRule nonResourceRules = 2 [(go) = "always"];
  optional bool incomplete = 3 [(go) = "always"];
  optional string evaluationError = 4;
}

message ResourceRule {
  repeated string verbs = 1 [(go) = "always"];
  repeated string apiGroups = 2;
  repeated string resources = 3;
  repeated string resourceNames = 4;
}

message NonResourceRule {
  repeated string verbs = 1 [(go) = "always"];
  repeated string nonResourceURLs = 2;
}
`;

/** The proto2 sources, one per Go package. */
export const KUBE_PROTO_SOURCES: readonly string[] = [RUNTIME, INTSTR, RESOURCE, META_V1, CORE_V1, RBAC_V1, AUTHENTICATION_V1, AUTHORIZATION_V1];

const CORE = 'k8s.io.api.core.v1';
const RBAC = 'k8s.io.api.rbac.v1';
const AUTHN = 'k8s.io.api.authentication.v1';
const AUTHZ = 'k8s.io.api.authorization.v1';

/** The message of each kind typed clients send as protobuf, keyed by `apiVersion/kind` as in the envelope. */
export const PROTOBUF_KINDS: ReadonlyMap<string, string> = new Map([
  ['v1/Namespace', `${CORE}.Namespace`],
  ['v1/Secret', `${CORE}.Secret`],
  ['v1/ConfigMap', `${CORE}.ConfigMap`],
  ['v1/ServiceAccount', `${CORE}.ServiceAccount`],
  ['v1/Pod', `${CORE}.Pod`],
  ['authentication.k8s.io/v1/TokenRequest', `${AUTHN}.TokenRequest`],
  ['authentication.k8s.io/v1/SelfSubjectReview', `${AUTHN}.SelfSubjectReview`],
  ['authorization.k8s.io/v1/SelfSubjectAccessReview', `${AUTHZ}.SelfSubjectAccessReview`],
  ['authorization.k8s.io/v1/SelfSubjectRulesReview', `${AUTHZ}.SelfSubjectRulesReview`],
  ['rbac.authorization.k8s.io/v1/Role', `${RBAC}.Role`],
  ['rbac.authorization.k8s.io/v1/ClusterRole', `${RBAC}.ClusterRole`],
  ['rbac.authorization.k8s.io/v1/RoleBinding', `${RBAC}.RoleBinding`],
  ['rbac.authorization.k8s.io/v1/ClusterRoleBinding', `${RBAC}.ClusterRoleBinding`],
]);

/** DeleteOptions is registered in every group version, so it is decoded whatever the envelope's apiVersion. */
export const DELETE_OPTIONS = 'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions';
