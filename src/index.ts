/**
 * kittyctx as a library: the pure core (lanes, rows, fold, snapshot, serializers) and the Effect
 * services and layers that embed the same programs the CLI runs.
 */
export { DISPLAY_LANES, isDisplayLane, isLane, isTerminal, LANE_WEIGHTS, LANES, resolveLaneAlias } from "./core/status/Lane.js"
export type { DisplayLane, Lane } from "./core/status/Lane.js"
export { encodeLine, encodePretty, JsonNumber, parseLossless, pyFloatRepr, splitLogLines } from "./core/python/PyJson.js"
export type { JsonValue } from "./core/python/PyJson.js"
export { classifyRow, parseLine, readEventStream } from "./core/status/EventRow.js"
export type { AnnotationRow, EnvelopeRow, EventRow, EventStream, RowError, TransitionRow } from "./core/status/EventRow.js"
export { actorName, EDGES, hasEdge, parseDoneEvidence, validateTransition } from "./core/status/Transition.js"
export type { Actor, DoneEvidence, ReviewResult, StructuredActor, TransitionContext } from "./core/status/Transition.js"
export { compareSortKey, foldTransitions, reduce } from "./core/status/StatusFold.js"
export type { Reduction, WpState } from "./core/status/StatusFold.js"
export {
  buildSnapshot,
  parseIsoMicros,
  snapshotBytes,
  snapshotIdentity,
  snapshotOf,
  streamUpTo,
  weightedProgress
} from "./core/status/Snapshot.js"
export type { Progress, Snapshot, SnapshotIdentity, TimePoint } from "./core/status/Snapshot.js"
export { currentLane, decideTransition, sanitizeRow } from "./core/status/StatusEvent.js"
export type { Decision, DecideEnv, TransitionRequest } from "./core/status/StatusEvent.js"
export { StatusError } from "./core/status/StatusError.js"
export type { StatusErrorCode } from "./core/status/StatusError.js"
export { validateStatus } from "./core/status/StatusValidate.js"
export type { Finding, ValidateInput } from "./core/status/StatusValidate.js"
export { ContextError, ContextErrors } from "./core/context/ContextError.js"
export type { ContextErrorCode } from "./core/context/ContextError.js"
export { MissionStatus } from "./services/status/MissionStatus.js"
export type { MaterializeOutcome, StatusTarget, TransitionOutcome } from "./services/status/MissionStatus.js"
export * as MissionStatusLayers from "./services/status/MissionStatus.js"
export {
  resolve,
  resolveContext,
  resolvePlacement,
  resolveStatusSurface,
  resolveStatusTarget
} from "./services/context/ResolveContext.js"
export type { ContextRequest, Provenance, Resolution } from "./services/context/ResolveContext.js"
export {
  ACTIONS,
  contextToJson,
  deriveIdentity,
  kindOfMissionFile,
  placementFor,
  readDirFor
} from "./core/context/ExecutionContext.js"
export type {
  Action,
  ArtifactKind,
  BranchRef,
  CommitTarget,
  Identity,
  MissionExecutionContext,
  StatusSurface,
  WorkPackageRef,
  Workspace
} from "./core/context/ExecutionContext.js"
export { FileLock } from "./services/ports/FileLock.js"
export { EventIds } from "./services/ports/EventIds.js"
export { RepoFs } from "./services/ports/RepoFs.js"
export { Git } from "./services/ports/Git.js"
export { discoverPrimaryRoot, KittyEnv, parseGitPointer } from "./services/context/RootLocator.js"
export { MainLayer } from "./services/MainLayer.js"
export { emitTransition, resolveForWrite } from "./services/surfaces/StatusWrites.js"
export type { EmitOutcome } from "./services/surfaces/StatusWrites.js"
export { ensureCoordWorkspace } from "./services/context/CoordWorkspace.js"
export { gitOperationInProgress } from "./services/ports/GitOpGuard.js"
export { commitPaths } from "./services/surfaces/CommitPath.js"
export type { CommitOutcome, CommitRequest } from "./services/surfaces/CommitPath.js"
export { classifyDirtyPath, isProtected, placementDivergence, RESIDUE_RULES } from "./core/surfaces/Placement.js"
export { SurfaceError } from "./core/surfaces/SurfaceError.js"
export type { SurfaceErrorCode } from "./core/surfaces/SurfaceError.js"
export { analysisStatus, checkAnalysisFreshness, recordAnalysis } from "./services/surfaces/RecordAnalysis.js"
export type { RecordAnalysisOutcome, RecordAnalysisRequest } from "./services/surfaces/RecordAnalysis.js"
export { checkDiff, ensureOccurrenceClassificationReady, validateOccurrenceMap } from "./services/surfaces/OccurrenceCheck.js"
export { validateOccurrenceMapText } from "./core/occurrence/OccurrenceMap.js"
export { globMatch } from "./core/occurrence/OccurrenceDiff.js"
export * as GitMemory from "./services/ports/GitMemory.js"
