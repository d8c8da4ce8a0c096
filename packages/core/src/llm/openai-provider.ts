/**
 * gen_ai.provider.name for an OpenAI-shaped call. Azure OpenAI has its own value; any other host
 * speaking the OpenAI API (a proxy, a compatible server) is reported as `openai`, the API it speaks.
 */
export function openAiProvider(url: URL): string {
  return url.hostname.endsWith('.openai.azure.com') ? 'azure.ai.openai' : 'openai';
}
