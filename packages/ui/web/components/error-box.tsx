export function ErrorBox({ error, title }: { error: Error | string; title?: string }) {
  return (
    <div class="error-box" role="alert" data-testid="error">
      <strong>{title ?? 'Error'}:</strong>
      <span>{typeof error === 'string' ? error : error.message}</span>
    </div>
  );
}
