import type { ContainerTaskModel } from '@tributary/spec';
import { quoteEnvValue, renderTemplate, TemplateError, templateScope } from './render-templates.js';
import type { ExecutionRequest } from './types.js';

/**
 * A container task with its `command` and `args` rendered: each string as it would be as an env value
 * (raw text, no quoting: no shell reads it). Its `env` is rendered with every kind's, by
 * `renderTaskTemplates`. Throws a {@link TemplateError} naming the task and the element
 * (`args[1]`).
 */
export function renderContainerTemplates(
  request: ExecutionRequest,
  task: ContainerTaskModel,
): ContainerTaskModel {
  const scope = templateScope(request);
  const renderList = (field: 'command' | 'args'): string[] | null =>
    task[field]?.map((text, index) => {
      try {
        return renderTemplate(text, scope, quoteEnvValue);
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        const where = `${field}[${index}]`;
        const options =
          error.template === undefined ? { field: where } : { field: where, template: error.template };
        throw new TemplateError(`task '${task.id}', field '${where}': ${error.message}`, options);
      }
    }) ?? null;
  return { ...task, command: renderList('command'), args: renderList('args') };
}
