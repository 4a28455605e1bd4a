/**
 * kittyctx as a library: the pure core (lanes, rows, fold, snapshot, serializers) and the Effect
 * services and layers that embed the same programs the CLI runs.
 */
export { DISPLAY_LANES, isDisplayLane, isLane, isTerminal, LANE_WEIGHTS, LANES, resolveLaneAlias } from "./core/Lane.js"
export type { DisplayLane, Lane } from "./core/Lane.js"
export { encodeLine, encodePretty, JsonNumber, parseLossless, pyFloatRepr, splitLogLines } from "./core/PyJson.js"
export type { JsonValue } from "./core/PyJson.js"
export { classifyRow, parseLine, readEventStream } from "./core/EventRow.js"
export type { AnnotationRow, EnvelopeRow, EventRow, EventStream, RowError, TransitionRow } from "./core/EventRow.js"
export { actorName, EDGES, hasEdge, parseDoneEvidence, validateTransition } from "./core/Transition.js"
export type { Actor, DoneEvidence, ReviewResult, StructuredActor, TransitionContext } from "./core/Transition.js"
export { compareSortKey, foldTransitions, reduce } from "./core/StatusFold.js"
export type { Reduction, WpState } from "./core/StatusFold.js"
export {
  buildSnapshot,
  parseIsoMicros,
  snapshotBytes,
  snapshotIdentity,
  snapshotOf,
  streamUpTo,
  weightedProgress
} from "./core/Snapshot.js"
export type { Progress, Snapshot, SnapshotIdentity, TimePoint } from "./core/Snapshot.js"
export { currentLane, decideTransition, sanitizeRow } from "./core/StatusEvent.js"
export type { Decision, DecideEnv, TransitionRequest } from "./core/StatusEvent.js"
export { StatusError } from "./core/StatusError.js"
export type { StatusErrorCode } from "./core/StatusError.js"
export { validateStatus } from "./core/StatusValidate.js"
export type { Finding, ValidateInput } from "./core/StatusValidate.js"
export { ContextError, ContextErrors } from "./core/ContextError.js"
export type { ContextErrorCode } from "./core/ContextError.js"
export { MissionStatus } from "./services/MissionStatus.js"
export type { MaterializeOutcome, StatusTarget, TransitionOutcome } from "./services/MissionStatus.js"
export * as MissionStatusLayers from "./services/MissionStatus.js"
export {
  resolve,
  resolveContext,
  resolvePlacement,
  resolveStatusSurface,
  resolveStatusTarget
} from "./services/ResolveContext.js"
export type { ContextRequest, Provenance, Resolution } from "./services/ResolveContext.js"
export {
  ACTIONS,
  contextToJson,
  deriveIdentity,
  kindOfMissionFile,
  placementFor,
  readDirFor
} from "./core/ExecutionContext.js"
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
} from "./core/ExecutionContext.js"
export { FileLock } from "./services/FileLock.js"
export { EventIds } from "./services/EventIds.js"
export { RepoFs } from "./services/RepoFs.js"
export { Git } from "./services/Git.js"
export { discoverPrimaryRoot, KittyEnv, parseGitPointer } from "./services/RootLocator.js"
export { MainLayer } from "./services/MainLayer.js"
export { emitTransition, resolveForWrite } from "./services/StatusWrites.js"
export type { EmitOutcome } from "./services/StatusWrites.js"
export { ensureCoordWorkspace } from "./services/CoordWorkspace.js"
export { gitOperationInProgress } from "./services/GitOpGuard.js"
export { commitPaths } from "./services/CommitPath.js"
export type { CommitOutcome, CommitRequest } from "./services/CommitPath.js"
export { classifyDirtyPath, isProtected, placementDivergence, RESIDUE_RULES } from "./core/Placement.js"
export { SurfaceError } from "./core/SurfaceError.js"
export type { SurfaceErrorCode } from "./core/SurfaceError.js"
export { analysisStatus, checkAnalysisFreshness, recordAnalysis } from "./services/RecordAnalysis.js"
export type { RecordAnalysisOutcome, RecordAnalysisRequest } from "./services/RecordAnalysis.js"
export { checkDiff, ensureOccurrenceClassificationReady, validateOccurrenceMap } from "./services/OccurrenceCheck.js"
export { validateOccurrenceMapText } from "./core/OccurrenceMap.js"
export { globMatch } from "./core/OccurrenceDiff.js"
export * as GitMemory from "./services/GitMemory.js"
