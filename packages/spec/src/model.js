export const TASK_KINDS = ['node', 'shell'];
//# sourceMappingURL=model.js.map