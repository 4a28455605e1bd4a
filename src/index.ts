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
export { foldViewOf, IncrementalFold } from "./core/status/IncrementalFold.js"
export type { FoldView, SavedFold } from "./core/status/IncrementalFold.js"
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
export { STATUS_ERROR_CODES, StatusError } from "./core/status/StatusError.js"
export type { StatusErrorCode } from "./core/status/StatusError.js"
export { validateStatus } from "./core/status/StatusValidate.js"
export type { Finding, ValidateInput } from "./core/status/StatusValidate.js"
export { CONTEXT_ERROR_CODES, ContextError, ContextErrors } from "./core/context/ContextError.js"
export type { ContextErrorCode } from "./core/context/ContextError.js"
export { MissionStatus } from "./services/status/MissionStatus.js"
export type { MaterializeOutcome, StatusTarget, TransitionOutcome } from "./services/status/MissionStatus.js"
export * as MissionStatusLayers from "./services/status/MissionStatus.js"
export {
  resolve,
  resolveContext,
  resolveForWrite,
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
export { CodedError } from "./core/CodedError.js"
export { GIT_ERROR_CODES, GitError, IO_ERROR_CODES, IoError } from "./core/repo/RepoError.js"
export type { GitErrorCode, IoErrorCode } from "./core/repo/RepoError.js"
export { CONFIG_ERROR_CODES, ConfigError } from "./core/config/ConfigError.js"
export { SYNC_ERROR_CODES, SyncError } from "./core/sync/SyncError.js"
export type { SyncErrorCode } from "./core/sync/SyncError.js"
export { branchNameProblem, checkBranchName, isBranchName } from "./core/repo/RefName.js"
export { FileLock } from "./services/ports/FileLock.js"
export type { LockSpec } from "./services/ports/FileLock.js"
export * as FileLockLayers from "./services/ports/FileLock.js"
export { EventIds } from "./services/ports/EventIds.js"
export * as EventIdsLayers from "./services/ports/EventIds.js"
export { RepoFs } from "./services/ports/RepoFs.js"
export * as RepoFsLayers from "./services/ports/RepoFs.js"
export { RepoWrite, repositoryScope } from "./services/ports/RepoWrite.js"
export type { WriteScope } from "./services/ports/RepoWrite.js"
export * as RepoWriteLayers from "./services/ports/RepoWrite.js"
export { MemoryFs } from "./services/ports/MemoryFs.js"
export { Git } from "./services/ports/Git.js"
export * as GitLayers from "./services/ports/Git.js"
export { Processes } from "./services/ports/Processes.js"
export * as ProcessesLayers from "./services/ports/Processes.js"
export { Settings } from "./services/ports/Settings.js"
export * as SettingsLayers from "./services/ports/Settings.js"
export { gitOperationInProgress, parseGitPointer } from "./services/ports/GitFiles.js"
export { discoverPrimaryRoot } from "./services/context/RootLocator.js"
export { MainLayer, makeMainLayer } from "./services/MainLayer.js"
export { makeReadLayer, makeStatusLayer } from "./services/StatusLayer.js"
export { emitTransition } from "./services/surfaces/StatusWrites.js"
export type { EmitOutcome } from "./services/surfaces/StatusWrites.js"
export { commitPaths } from "./services/surfaces/CommitPath.js"
export type { CommitOutcome, CommitRequest } from "./services/surfaces/CommitPath.js"
export { classifyDirtyPath, isProtected, placementDivergence, RESIDUE_RULES } from "./core/surfaces/Placement.js"
export { SURFACE_ERROR_CODES, SurfaceError } from "./core/surfaces/SurfaceError.js"
export type { SurfaceErrorCode } from "./core/surfaces/SurfaceError.js"
export { analysisStatus, checkAnalysisFreshness, recordAnalysis } from "./services/surfaces/RecordAnalysis.js"
export type { RecordAnalysisOutcome, RecordAnalysisRequest } from "./services/surfaces/RecordAnalysis.js"
export { ClaimGates, claimWorkPackage } from "./services/surfaces/ImplementClaim.js"
export type { ClaimOutcome, ClaimRequest } from "./services/surfaces/ImplementClaim.js"
export { checkDiff, ensureOccurrenceClassificationReady, validateOccurrenceMap } from "./services/surfaces/OccurrenceCheck.js"
export { OCCURRENCE_ERROR_CODES, OccurrenceError, validateOccurrenceMapText } from "./core/occurrence/OccurrenceMap.js"
export { globMatch } from "./core/occurrence/OccurrenceDiff.js"
export { mergeEventLogs, mergeThreeWay } from "./core/merge/LogMerge.js"
export type { LogInput } from "./core/merge/LogMerge.js"
export { MERGE_ERROR_CODES, MergeError } from "./core/merge/MergeError.js"
export type { MergeErrorCode } from "./core/merge/MergeError.js"
export { runEventLogDriver } from "./services/merge/EventLogDriver.js"
export { checkDrivers, ensureDriversFor, installDrivers, uninstallDrivers } from "./services/merge/DriverInstall.js"
export { Launcher } from "./services/ports/Launcher.js"
export * as LauncherLayers from "./services/ports/Launcher.js"
export { mergeAttributeLines } from "./core/repo/Naming.js"
